"""Escaping by policy: every value the generator writes into the guide's Markdown (and the HTML it holds) is
escaped here unless it is `Markdown`, the marker type of what the generator itself produced.

- `text()` is the default: a name, a label, a table cell, a count. Its result shows the value literally in a
  Markdown paragraph, heading, link text or table cell, in raw HTML and in a double-quoted HTML attribute: the
  characters that HTML or Markdown would read as syntax become character references (`*` → `&#42;`).
  The Jinja environment applies it to every `{{ … }}` (see `finalize`), Python code calls it (or formats with
  `Markdown(…).format()`, which calls it on each argument).
- `markdown()` is for the few fields written in Markdown by contributors (descriptions, « comment mobiliser »,
  chart notes): emphasis and lists stay, raw HTML and attribute lists (`{: onclick=… }`) do not.
- `url()` is for link targets and autolinks, `code()` for a code span; `html()` for the front matter, whose
  values MkDocs' templates print as HTML without escaping them, and `search_filter()` for the search filters.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup


class Markdown(Markup):
    """Markdown (or HTML) source the generator produced: written as is, never escaped again.

    Mixing it with other strings escapes them as text: `Markdown("[{}]({})").format(name, url(link))`,
    `Markdown(", ").join(names)`, `Markdown("**") + name`.
    """

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any, /) -> Markdown:
        return text(s)

    def format(self, *args: Any, **kwargs: Any) -> Markdown:
        """`str.format` with every argument escaped by `text` first (faster than `Markup.format`, which
        escapes through a `string.Formatter`; field names index the escaped arguments)."""
        return Markdown(str.format(self, *map(text, args), **{k: text(v) for k, v in kwargs.items()}))


# Character references rather than backslashes: they mean the same in Markdown text, in table cells (a `\|`
# would be needed there), in raw HTML blocks (where a backslash stays visible) and in attribute values.
_TEXT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\\": "&#92;",
        "`": "&#96;",
        "*": "&#42;",
        "_": "&#95;",
        "[": "&#91;",
        "]": "&#93;",
        "{": "&#123;",
        "}": "&#125;",
        "|": "&#124;",
        "#": "&#35;",
        "\n": " ",
        "\r": " ",
    }
)
# Most values hold none of these characters: a search is faster than `translate` with a dict table.
_HAS_TEXT_SPECIAL = re.compile(r'[&<>"\\`*_\[\]{}|#\n\r]').search
# What would open a block when the value starts a line: a list item, a rule, an admonition, a setext
# underline, a code block.
_BLOCK_START = re.compile(r"[-+=!?\s]|\d+[.)](?=\s|$)")
_MARKDOWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;"})
_HAS_MARKDOWN_SPECIAL = re.compile(r"[&<>{}]").search
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_HAS_HTML_SPECIAL = re.compile(r'[&<>"]').search
_URL_UNSAFE = ' "<>\\^`{|}()\n\r\t'
_URL = str.maketrans({c: f"%{ord(c):02X}" for c in _URL_UNSAFE})
_HAS_URL_UNSAFE = re.compile(f"[{re.escape(_URL_UNSAFE)}]").search


def escape_text(value: Any) -> str:
    """`value` as Markdown source showing it literally (see `text`), as a plain string."""
    escaped = value if type(value) is str else str(value)
    if _HAS_TEXT_SPECIAL(escaped):
        escaped = escaped.translate(_TEXT)
    if escaped and not escaped[0].isalpha():
        block = _BLOCK_START.match(escaped)
        if block:
            end = block.end() - 1
            escaped = f"{escaped[:end]}&#{ord(escaped[end])};{escaped[end + 1 :]}"
    return escaped


def text(value: Any) -> Markdown:
    """Plain text (a name, a label, a cell) as Markdown showing it literally; `Markdown` values are kept."""
    if isinstance(value, Markup):
        return value if isinstance(value, Markdown) else Markdown(value)
    return Markdown(escape_text(value))


def markdown(value: Any) -> Markdown:
    """Contributor Markdown: its formatting stays; raw HTML and attribute lists show as text."""
    if isinstance(value, Markup):
        return text(value)
    value = str(value)
    return Markdown(value.translate(_MARKDOWN) if _HAS_MARKDOWN_SPECIAL(value) else value)


def url(value: Any) -> Markdown:
    """A link target (a validated URL or e-mail address, a `tel:` link, a relative path), safe in `[…](…)`,
    in an autolink `<…>` and in a double-quoted attribute: the characters that would end it are
    percent-encoded."""
    if isinstance(value, Markup):
        return text(value)
    value = str(value)
    return Markdown(value.translate(_URL) if _HAS_URL_UNSAFE(value) else value)


def code(value: Any) -> Markdown:
    """An inline code span showing `value` literally (Markdown reads nothing inside it, table pipes included)."""
    content = str(value).replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", content)), default=0) + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return Markdown(f"{fence}{pad}{content}{pad}{fence}")


def html(value: str) -> str:
    """Text for a place MkDocs' templates print as HTML (title, description, filters of the front matter)."""
    return value.translate(_HTML) if _HAS_HTML_SPECIAL(value) else value


def search_filter(value: str) -> str:
    """A search filter value, before the front matter escapes it for the page with `html` like any value.

    Pagefind (1.5) decodes the character references of a filter value twice, then its interface inserts the
    value as HTML: escaped twice more here, the value is stored escaped once and the interface shows it as is.
    """
    return html(html(value)) if _HAS_HTML_SPECIAL(value) else value


def finalize(value: Any) -> Any:
    """Jinja's `finalize` hook: every `{{ … }}` that is not `Markdown` (or `Markup`) is escaped as text."""
    return value if isinstance(value, Markup) else escape_text(value)
