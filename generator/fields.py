"""Reusable annotated field types with French error messages (phone, e-mail, URL, slugs, choices)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter, ValidationInfo
from pydantic import HttpUrl as _HttpUrl
from pydantic_core import PydanticCustomError

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_url_adapter: TypeAdapter[_HttpUrl] = TypeAdapter(_HttpUrl)


def _short_list(values: Iterable[str]) -> str:
    return ", ".join(values)


def check_phone(value: str) -> str:
    """Accept a French phone number (national or +33 form); keep it as written."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise PydanticCustomError(
            "telephone",
            "numéro de téléphone invalide « {found} » : attendu un numéro français à 10 chiffres "
            "(ex. 03 20 00 00 00) ou au format international +33",
            {"found": value},
        )
    return value


def check_email(value: str) -> str:
    """Accept a syntactically valid e-mail address (no DNS lookup)."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise PydanticCustomError(
            "courriel",
            "adresse électronique invalide « {found} » : attendu une adresse de la forme nom@domaine.fr",
            {"found": value},
        ) from None
    return value


def check_url(value: str) -> str:
    """Accept an absolute http(s) URL with a host name."""
    try:
        url = _url_adapter.validate_python(value)
        ok = url.scheme in ("http", "https") and "." in (url.host or "")
    except ValueError:
        ok = False
    if not ok:
        raise PydanticCustomError(
            "url",
            "adresse web invalide « {found} » : attendu une URL complète commençant par https://",
            {"found": value},
        )
    return value


def check_past_date(value: date, info: ValidationInfo) -> date:
    """Refuse a date in the future (the day of the check comes from the validation context)."""
    today = (info.context or {}).get("today") or date.today()
    if value > today:
        raise PydanticCustomError(
            "date_future",
            "date dans le futur « {found} » : attendu une date passée ou aujourd'hui ({today})",
            {"found": value.isoformat(), "today": today.isoformat()},
        )
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str | int) else value


def _as_str(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _one_of(value: str, allowed: Iterable[str] | None) -> str:
    if allowed is not None and value not in allowed:
        raise PydanticCustomError(
            "choix",
            "valeur « {found} » non permise ; valeurs permises : {allowed}",
            {"found": value, "allowed": _short_list(allowed)},
        )
    return value


def choice(values: Iterable[str], description: str) -> Any:
    """A string restricted to fixed values, with the allowed list in the error and the JSON Schema."""
    allowed = tuple(values)
    return Annotated[
        str,
        BeforeValidator(_as_str),
        AfterValidator(lambda value: _one_of(value, allowed)),
        Field(description=description, json_schema_extra={"enum": list(allowed)}),
    ]


def nomenclature(name: str, description: str) -> Any:
    """A value of one of the nomenclatures of `data/nomenclatures.yaml`, checked against the loaded data."""

    def check(value: str, info: ValidationInfo) -> str:
        return _one_of(value, ((info.context or {}).get("nomenclatures") or {}).get(name))

    return Annotated[
        str,
        BeforeValidator(_as_str),
        AfterValidator(check),
        Field(description=description, json_schema_extra={"x-nomenclature": name}),
    ]


def as_list() -> BeforeValidator:
    """Let a YAML author write a single value where a list is expected."""
    return BeforeValidator(_as_list)


Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=2, max_length=120)]
Phone = Annotated[str, AfterValidator(check_phone)]
Email = Annotated[str, AfterValidator(check_email)]
Url = Annotated[str, AfterValidator(check_url), Field(json_schema_extra={"format": "uri"})]
PastDate = Annotated[date, AfterValidator(check_past_date)]
