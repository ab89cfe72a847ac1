"""Bounds on the work an anonymous client can cause at the login page, and the device cookie.

- argon2 costs 64 MiB and about 0.1 s per check: at most `HASH_WORKERS` run at once, in a small executor of
  their own (the dummy hash of an unknown address included); `MAX_WAITING_HASHES` more wait their turn, beyond
  that the attempt is answered at once (503) without any work.
- a client address may make `ATTEMPTS_PER_CLIENT` attempts in a sliding window (a successful login gives its
  attempt back); beyond, 429 at once: no database write, no audit entry, no hash.
- the device cookie (OWASP, "slow down online guessing attacks with device cookies"): after a successful login
  the browser keeps a signed cookie naming the account. An attempt on that account from that browser is
  counted apart (its own back-off, no client-address limit): a stranger's failures neither lock nor slow the
  owner on their own browser.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

from starlette.requests import Request
from starlette.responses import Response

from forms_backend.settings import RateLimit, Settings
from forms_backend.web.security import RateLimiter, cookie_name, sign, unsign

T = TypeVar("T")
log = logging.getLogger("partaj.connexion")

HASH_WORKERS = 2
MAX_WAITING_HASHES = 64
ATTEMPTS_PER_CLIENT = RateLimit(10, 300)
DEVICE_LIFETIME = timedelta(days=365)
DEVICE_PURPOSE = "appareil"
FUTURE_SKEW = timedelta(minutes=5)


class HashQueue:
    """At most `workers` password hashes at once in a dedicated executor; at most `waiting` more queued."""

    def __init__(self, workers: int, waiting: int) -> None:
        self.workers = workers
        self.capacity = workers + waiting
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="partaj-argon2")
        self._taken = 0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """A place in the queue for one attempt's hashes (True), or False when the queue is full."""
        with self._lock:
            admitted = self._taken < self.capacity
            if admitted:
                self._taken += 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    self._taken -= 1

    async def run(self, job: Callable[[], T]) -> T:
        """Run a hash in the executor, waiting for a free worker."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, job)


# One per process: the memory the hashes take is the process's.
HASHES = HashQueue(HASH_WORKERS, MAX_WAITING_HASHES)


class AttemptLimiter(RateLimiter):
    """Sliding-window count of login attempts per client address (in memory, per process)."""

    def take(self, key: str) -> int | None:
        """Count one attempt now, or the seconds to wait when the window is full (nothing counted)."""
        retry = self.retry_after(key)
        if retry is None:
            self.record(key)
        return retry

    def give_back(self, key: str) -> None:
        """Forget the last attempt counted for this client (it was a successful login, or never ran)."""
        hits = self._hits.get(key)
        if hits:
            hits.pop()


def attempt_limiter(request: Request) -> AttemptLimiter:
    """The app's login limiter, built with the app (`app.create_app`)."""
    return cast(AttemptLimiter, request.app.state.login_limiter)


def client_address(request: Request) -> str:
    """The client's address (uvicorn sets it from X-Forwarded-For behind a trusted proxy)."""
    return request.client.host if request.client else "inconnu"


@dataclass(frozen=True)
class Device:
    """A browser that has logged in to an account: the account, when, a random nonce naming the browser."""

    user_id: int
    issued_at: datetime
    nonce: str


def device_cookie(settings: Settings) -> str:
    """Name of the device cookie (`__Host-` prefixed over HTTPS)."""
    return cookie_name("partaj_appareil", settings.secure_cookies)


def read_device(request: Request, settings: Settings, now: datetime) -> Device | None:
    """The request's device cookie, when signed by this server and less than a year old."""
    raw = request.cookies.get(device_cookie(settings))
    payload = unsign(settings.secret_key, DEVICE_PURPOSE, raw) if raw else None
    if payload is None:
        return None
    parts = payload.split("~")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
        return None
    issued = datetime.fromtimestamp(int(parts[1]), UTC)
    if not now - DEVICE_LIFETIME < issued <= now + FUTURE_SKEW:
        return None
    return Device(int(parts[0]), issued, parts[2])


def remember_device(response: Response, settings: Settings, user_id: int, now: datetime) -> None:
    """Give the browser a new device cookie for this account (valid a year from this login)."""
    payload = f"{user_id}~{int(now.timestamp())}~{secrets.token_urlsafe(16)}"
    response.set_cookie(
        device_cookie(settings),
        sign(settings.secret_key, DEVICE_PURPOSE, payload),
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


_warned_at = [-60.0]


def warn_limited() -> None:
    """Log that a client reached its limit, at most once a minute (a flood must not flood the log)."""
    now = time.monotonic()
    if now - _warned_at[0] >= 60:
        _warned_at[0] = now
        log.warning("tentatives de connexion refusées : limite par adresse de client atteinte")
