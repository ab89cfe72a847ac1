"""ASGI middleware: security headers (a CSP allowing the guide's inline scripts by hash), the request body (size
limit, a form's encoding), 500."""

from __future__ import annotations

import base64
import codecs
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forms_backend.errors import BodyTooLarge, FormRefused
from forms_backend.web.forms import BAD_CHARSET, BAD_ENCODING

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

_INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTRIBUTE = re.compile(r"\bsrc\s*=", re.IGNORECASE)
URLENCODED = b"application/x-www-form-urlencoded"
MULTIPART = b"multipart/form-data"
_RAW_BYTE = re.compile(rb"[\x80-\xff]")


def inline_script_hashes(html: str) -> set[str]:
    """CSP `'sha256-…'` sources of the inline scripts of one HTML page."""
    hashes = set()
    for attributes, body in _INLINE_SCRIPT.findall(html):
        if _SRC_ATTRIBUTE.search(attributes) or not body:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        hashes.add(f"'sha256-{digest}'")
    return hashes


def site_script_hashes(site_dir: Path) -> list[str]:
    """Hashes of every distinct inline script of the built guide (MkDocs-Material writes a few per page)."""
    found: set[str] = set()
    if site_dir.is_dir():
        for page in site_dir.rglob("*.html"):
            found |= inline_script_hashes(page.read_text(encoding="utf-8", errors="replace"))
    return sorted(found)


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """The CSP of every response: no inline script except the guide's own, hashed; no framing."""
    scripts = " ".join(["'self'", "'wasm-unsafe-eval'", *script_hashes])
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeadersMiddleware:
    """Adds the security headers to every response (forms, guide, errors) and drops any `Server` header."""

    def __init__(self, app: ASGIApp, csp: str, hsts: bool) -> None:
        self.app = app
        self.headers = {
            "content-security-policy": csp,
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "x-frame-options": "DENY",
            "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
            "cross-origin-opener-policy": "same-origin",
        }
        if hsts:
            self.headers["strict-transport-security"] = "max-age=31536000"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if "server" in headers:
                    del headers["server"]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _utf8(data: bytes | bytearray) -> bool:
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _MultipartCheck:
    """Callbacks of a multipart parser that note whether every header and every text part is UTF-8."""

    def __init__(self) -> None:
        self.valid = True
        self._header = bytearray()
        self._data = bytearray()
        self._file = False

    def on_part_begin(self) -> None:
        self._data, self._file = bytearray(), False

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def on_header_end(self) -> None:
        self.valid = self.valid and _utf8(self._header)
        self._file = self._file or b"filename" in parse_options_header(bytes(self._header))[1]
        self._header = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._file:
            self._data += data[start:end]

    def on_part_end(self) -> None:
        self.valid = self.valid and (self._file or _utf8(self._data))


def check_form_body(content_type: str, body: bytes) -> bytes:
    """The body of a form as the parser must read it; FormRefused when it declares another charset than UTF-8,
    or when a name or a value is not UTF-8 (the parser would otherwise put U+FFFD in its place, or read it as
    Latin-1). Bytes sent unencoded in a URL-encoded body are percent-encoded, so that they are read as UTF-8."""
    media, params = parse_options_header(content_type)
    if media not in (URLENCODED, MULTIPART):
        return body
    charset = {k.lower(): v for k, v in params.items()}.get(b"charset")
    if charset is not None:
        try:
            utf8 = codecs.lookup(charset.decode("latin-1")).name == "utf-8"
        except LookupError:
            utf8 = False
        if not utf8:
            raise FormRefused(BAD_CHARSET)
    if media == URLENCODED:
        if not _utf8(unquote_to_bytes(body)):
            raise FormRefused(BAD_ENCODING)
        return _RAW_BYTE.sub(lambda raw: b"%%%02X" % raw[0][0], body)
    boundary = params.get(b"boundary")
    if boundary:
        check = _MultipartCheck()
        callbacks: MultipartCallbacks = {
            "on_part_begin": check.on_part_begin,
            "on_header_value": check.on_header_value,
            "on_header_end": check.on_header_end,
            "on_part_data": check.on_part_data,
            "on_part_end": check.on_part_end,
        }
        try:
            parser = MultipartParser(boundary, callbacks)
            parser.write(body)
            parser.finalize()
        except FormParserError:
            return body  # malformed: the form parser answers 400 itself
        if not check.valid:
            raise FormRefused(BAD_ENCODING)
    return body


class BodyLimitMiddleware:
    """The request body's guard: refuses a body over the limit (413), at once from `Content-Length` or while
    reading a chunked body; reads a form's body whole (within the limit) and checks its encoding
    (`check_form_body`, 400) before any handler parses it: one place for every form, public or back office."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths that take a bigger body (a CFA's file of reports), by exact path.
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            scope["partaj.body_too_large"] = True
        content_type = headers.get("content-type", "")
        is_form = parse_options_header(content_type)[0] in (URLENCODED, MULTIPART)
        received = 0
        checked = False

        async def limited_receive() -> Message:
            nonlocal received
            if scope.get("partaj.body_too_large"):
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge()
            return message

        async def form_receive() -> Message:
            nonlocal checked
            if checked:
                return await limited_receive()
            chunks = []
            while True:
                message = await limited_receive()
                if message["type"] != "http.request":
                    return message
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            checked = True
            body = check_form_body(content_type, b"".join(chunks))
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, form_receive if is_form else limited_receive, send)


class ServerErrorMiddleware:
    """Turns an unexpected exception into the French 500 page, inside the security headers middleware."""

    def __init__(self, app: ASGIApp, handler: Callable[[Request, Exception], Awaitable[Response]]) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await self.handler(Request(scope), exc)
            await response(scope, receive, send)
