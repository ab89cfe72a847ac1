"""Typed exceptions of the backend; only the CLI and the HTTP error handler turn them into messages and pages.

Each carries the HTTP status a request that raises it gets (`web.pages.backend_error` renders the French page).
"""

from __future__ import annotations


class BackendError(Exception):
    """Base class of every error the backend raises on purpose."""

    status_code = 500


class SettingsError(BackendError):
    """One or more settings are missing or unsafe; `problems` lists each in French."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class DatabaseError(BackendError):
    """The database cannot be used as it is (damaged file, unknown schema version)."""


class CatalogueError(BackendError):
    """The `data/` catalogue the forms need has errors."""


class BodyTooLarge(BackendError):
    """The request body went past the configured limit while it was being read."""

    status_code = 413


class AccountError(BackendError):
    """An account cannot be created or changed as asked (address taken, unknown territory, short password…)."""


class BackupError(BackendError):
    """A backup cannot be made (destination exists, source missing) or its copy failed the integrity check."""


class SituationNotFound(BackendError):
    """No situation with this id in the user's territories (another territory's answers the same: 404)."""

    status_code = 404

    def __init__(self, situation_id: int) -> None:
        super().__init__(situation_id)
        self.situation_id = situation_id


class PropositionNotFound(BackendError):
    """No proposal with this id among those the user moderates (another territory's answers the same: 404)."""

    status_code = 404

    def __init__(self, proposition_id: int) -> None:
        super().__init__(proposition_id)
        self.proposition_id = proposition_id


class TrackingError(BackendError):
    """A follow-up change refused against the situation's current state; `field` names the form field."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class FormRefused(BackendError):
    """A form body no page of ours sends (not in UTF-8, a single-valued field twice): 400 and its French page
    (`web.pages.backend_error`); nothing is read from it, nothing stored."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
