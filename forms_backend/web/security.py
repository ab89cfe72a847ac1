"""Protections of the public forms: signed tokens, origin checks, honeypot, fill time, rate limit (CSRF: `csrf`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from forms_backend.settings import RateLimit

FORM_TOKEN_FIELD = "jeton_formulaire"
HONEYPOT_FIELD = "site_web"
FUTURE_SKEW_SECONDS = 5.0
# A form display is good for a day: older, the form is shown again with what was typed and a fresh token.
FORM_MAX_AGE_SECONDS = 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mac(secret: str, purpose: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), f"{purpose}:{payload}".encode(), hashlib.sha256).digest())


def sign(secret: str, purpose: str, payload: str) -> str:
    """`payload.mac`: the payload stays readable, the MAC binds it to the secret and to a purpose."""
    return f"{payload}.{mac(secret, purpose, payload)}"


def unsign(secret: str, purpose: str, token: str) -> str | None:
    """The payload of a token signed for this purpose, or None when forged, altered or for another purpose."""
    payload, _, sent = token.rpartition(".")
    if not payload or not hmac.compare_digest(sent.encode(), mac(secret, purpose, payload).encode()):
        return None
    return payload


def cookie_name(base: str, secure: bool) -> str:
    """`__Host-` prefixed names over HTTPS: the browser then refuses them from sub-domains or plain HTTP."""
    return f"__Host-{base}" if secure else base


def cross_site(request: Request, base_url: str) -> bool:
    """True when the browser says the POST comes from another site (Sec-Fetch-Site, Origin)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    public = urlsplit(base_url)
    allowed = {
        f"{public.scheme}://{public.netloc}",
        f"{request.url.scheme}://{request.headers.get('host', '')}",
    }
    return origin not in allowed


@dataclass(frozen=True)
class FormToken:
    """Signed facts about one display of a form: which form, when it was shown, a random nonce."""

    source: str
    issued_at: float
    nonce: str

    def encode(self, secret: str) -> str:
        return sign(secret, "formulaire", f"{self.source}~{round(self.issued_at * 1000)}~{self.nonce}")

    @classmethod
    def issue(cls, source: str, now: float | None = None) -> FormToken:
        return cls(source, time.time() if now is None else now, secrets.token_urlsafe(16))

    def expired(self, now: float) -> bool:
        """Shown more than `FORM_MAX_AGE_SECONDS` ago (24 hours)."""
        return now - self.issued_at > FORM_MAX_AGE_SECONDS

    def renewed(self, min_fill_seconds: float, now: float | None = None) -> FormToken:
        """A fresh token for an expired page shown again with its answers: it counts as already filled in (the
        person did, on the old page), so sending it at once is not taken for a robot."""
        return FormToken.issue(self.source, (time.time() if now is None else now) - min_fill_seconds)

    @classmethod
    def decode(cls, secret: str, token: str, source: str) -> FormToken | None:
        payload = unsign(secret, "formulaire", token)
        if payload is None:
            return None
        parts = payload.split("~")
        if len(parts) != 3 or parts[0] != source or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]) / 1000, parts[2])


def looks_like_a_bot(form: Mapping[str, Any], token: FormToken, min_fill_seconds: float, now: float) -> bool:
    """Honeypot filled, form sent faster than a person can, or a display time in the future."""
    if str(form.get(HONEYPOT_FIELD, "")).strip():
        return True
    elapsed = now - token.issued_at
    return elapsed < min_fill_seconds or elapsed < -FUTURE_SKEW_SECONDS


def submission_key(token: FormToken, cleaned: Mapping[str, Any]) -> str:
    """Idempotency key: the form display's nonce and a digest of what was sent.

    A double click or a replay sends the same thing again and finds the stored report; a second, different
    report sent from the same page (after going back) gets its own key and is stored too.
    """
    digest = hashlib.sha256(json.dumps(cleaned, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"{token.source}:{token.nonce}:{digest[:32]}"


class RateLimiter:
    """Sliding-window count of accepted reports per client address (in memory, per process)."""

    MAX_KEYS = 50_000

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def _window(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.limit.seconds:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait before this client may send again, or None when it may send now."""
        now = self.clock()
        hits = self._window(key, now)
        if len(hits) < self.limit.count:
            return None
        return max(1, int(hits[0] + self.limit.seconds - now + 0.999))

    def record(self, key: str) -> None:
        """Count one accepted report for this client."""
        now = self.clock()
        if len(self._hits) > self.MAX_KEYS:
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.limit.seconds}
        self._window(key, now).append(now)
