"""Time as the backend reads, stores and shows it: one clock, one stored format, the local day.

Stored timestamps are UTC, ISO 8601 with microseconds and a `Z` (`2026-11-30T08:15:00.000000Z`): they sort as
text. Handlers read the time through `Services.clock` (tests replace it), which defaults to `now`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

STORED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


def today_in(tz: tzinfo) -> date:
    """Today's date where the users are (the settings' time zone): the day the form rules compare with."""
    return now().astimezone(tz).date()


def timestamp(when: datetime) -> str:
    """An instant as stored."""
    return when.astimezone(UTC).strftime(STORED_FORMAT)


def parse_timestamp(value: str) -> datetime:
    """A stored timestamp back to an aware UTC datetime."""
    return datetime.strptime(value, STORED_FORMAT).replace(tzinfo=UTC)
