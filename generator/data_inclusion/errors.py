"""Typed exceptions of the import; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class FeedError(Exception):
    """A feed file cannot be read (missing, not JSON, not UTF-8, truncated): nothing is written."""


class CorrectionsError(Exception):
    """The overrides file has errors: the import refuses to run until it is fixed."""
