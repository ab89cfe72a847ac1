"""The front matter of the pages the generator writes: YAML that MkDocs reads back, written without PyYAML's
representer (a third of a sheet's rendering went there)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from generator.escape import Markdown, html

# Characters a YAML double-quoted scalar reads as line breaks (NEL, line and paragraph separators) or does not
# accept (C1 controls, byte-order marks, lone surrogates); `json.dumps` leaves them as they are.
_NOT_YAML = re.compile(r"[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _flow(value: Any) -> str:
    """One front matter value in YAML flow style — JSON's syntax, which is YAML's too — strings escaped for
    HTML, dates as plain YAML dates (MkDocs reads them back as dates)."""
    if isinstance(value, str):
        quoted = json.dumps(html(value), ensure_ascii=False)
        return (
            _NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
            if _NOT_YAML.search(quoted)
            else quoted
        )
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(str(k))}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    raise TypeError(f"valeur d'en-tête non prévue : {value!r}")


def front_matter(front: dict[str, Any]) -> Markdown:
    """The front matter of a generated page, one key per line. MkDocs' templates print its values as HTML
    without escaping them (title, description, search filters), so every string is escaped for HTML here."""
    return Markdown("".join(f"{key}: {_flow(value)}\n" for key, value in front.items()))
