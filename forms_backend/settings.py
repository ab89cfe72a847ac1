"""Settings from `PARTAJ_*` environment variables: safe local defaults, unsafe production values refused."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forms_backend.errors import SettingsError

MAX_MIN_FILL_SECONDS = 3.0
MIN_SECRET_LENGTH = 32
NOT_CONFIGURED = "non renseigné (instance locale de démonstration)"
DEFAULT_PROXY = "127.0.0.1"


@dataclass(frozen=True)
class RateLimit:
    """At most `count` accepted reports per client address in a sliding window of `seconds`."""

    count: int
    seconds: float


@dataclass(frozen=True)
class Settings:
    """Everything the backend can be told from outside; built by `from_env`."""

    env: str = "development"
    db_path: Path = Path("var/partaj.db")
    secret_key: str = field(default="", repr=False)
    base_url: str = "http://127.0.0.1:8000"
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    rate_limit: RateLimit = RateLimit(10, 600)
    min_fill_seconds: float = 3.0
    max_body_bytes: int = 64 * 1024
    site_dir: Path = Path("site")
    data_dir: Path = Path("data")
    timezone: str = "Europe/Paris"
    retention_months: int = 24
    responsable_traitement: str = NOT_CONFIGURED
    contact_rgpd: str = NOT_CONFIGURED
    forwarded_allow_ips: str = ""  # empty: not given, DEFAULT_PROXY is trusted (see `trusted_proxies`)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_starttls: bool = False

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def trusted_proxies(self) -> str:
        """The peers whose `X-Forwarded-For` is believed (uvicorn's `forwarded_allow_ips`)."""
        return self.forwarded_allow_ips or DEFAULT_PROXY

    def startup_warnings(self) -> list[str]:
        """What `serve` warns about at start-up (in French) without refusing to start."""
        warnings = []
        host = urlsplit(self.base_url).hostname or ""
        if self.production and not self.forwarded_allow_ips and not _loopback(host):
            warnings.append(
                f"PARTAJ_FORWARDED_ALLOW_IPS n'est pas renseigné : l'en-tête X-Forwarded-For est cru quand il "
                f"vient de {DEFAULT_PROXY} (valeur par défaut), alors que PARTAJ_BASE_URL ({self.base_url}) est "
                "publique. La limite d'envois compte les clients d'après cet en-tête : renseignez "
                "PARTAJ_FORWARDED_ALLOW_IPS avec l'adresse du mandataire inverse, et lui seul (127.0.0.1 s'il "
                "tourne sur cette machine et que rien d'autre n'y relaie de requêtes)."
            )
        if self.production and "*" in [ip.strip() for ip in self.forwarded_allow_ips.split(",")]:
            warnings.append(
                "PARTAJ_FORWARDED_ALLOW_IPS : « * » fait croire l'en-tête X-Forwarded-For de n'importe qui : "
                "chacun peut alors contourner la limite d'envois ; n'y mettez que l'adresse du mandataire inverse."
            )
        return warnings

    def with_secret(self) -> Settings:
        """These settings, with a random secret key when none was given (local runs: tokens die with it)."""
        return self if self.secret_key else replace(self, secret_key=secrets.token_urlsafe(48))

    def but(self, **changes: Any) -> Settings:
        """A copy with some values changed (tests, command-line options)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read `PARTAJ_*` variables; raise SettingsError listing every bad or unsafe value."""
        env = os.environ if environ is None else environ
        problems: list[str] = []
        values: dict[str, Any] = {}

        def text(name: str, attr: str) -> None:
            raw = env.get(f"PARTAJ_{name}", "").strip()
            if raw:
                values[attr] = raw

        def number(name: str, attr: str, kind: type[int] | type[float]) -> None:
            raw = env.get(f"PARTAJ_{name}", "").strip()
            if not raw:
                return
            try:
                values[attr] = kind(raw)
            except ValueError:
                problems.append(f"PARTAJ_{name} : « {raw} » n'est pas un nombre")

        text("ENV", "env")
        text("SECRET_KEY", "secret_key")
        text("BASE_URL", "base_url")
        text("TIMEZONE", "timezone")
        text("RESPONSABLE_TRAITEMENT", "responsable_traitement")
        text("CONTACT_RGPD", "contact_rgpd")
        text("FORWARDED_ALLOW_IPS", "forwarded_allow_ips")
        text("SMTP_HOST", "smtp_host")
        text("SMTP_USER", "smtp_user")
        text("SMTP_PASSWORD", "smtp_password")
        text("SMTP_FROM", "smtp_from")
        number("SMTP_PORT", "smtp_port", int)
        if raw := env.get("PARTAJ_SMTP_STARTTLS", "").strip().lower():
            if raw in ("1", "true", "oui", "yes"):
                values["smtp_starttls"] = True
            elif raw not in ("0", "false", "non", "no"):
                problems.append(f"PARTAJ_SMTP_STARTTLS : « {raw} » ; attendu oui ou non (1 ou 0)")
        for name, attr in (("DB", "db_path"), ("SITE_DIR", "site_dir"), ("DATA_DIR", "data_dir")):
            if raw := env.get(f"PARTAJ_{name}", "").strip():
                values[attr] = Path(raw)
        number("MIN_FILL_SECONDS", "min_fill_seconds", float)
        number("MAX_BODY_BYTES", "max_body_bytes", int)
        number("RETENTION_MONTHS", "retention_months", int)
        if hosts := env.get("PARTAJ_ALLOWED_HOSTS", "").strip():
            values["allowed_hosts"] = tuple(h.strip().lower() for h in hosts.split(",") if h.strip())
        if raw := env.get("PARTAJ_RATE_LIMIT", "").strip():
            try:
                values["rate_limit"] = parse_rate_limit(raw)
            except ValueError:
                problems.append(
                    f"PARTAJ_RATE_LIMIT : « {raw} » invalide ; attendu NOMBRE/SECONDES, par exemple 10/600"
                )
        if problems:
            raise SettingsError(problems)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise SettingsError when a value is invalid, or unsafe in production."""
        problems: list[str] = []
        if self.env not in ("development", "production"):
            problems.append(f"PARTAJ_ENV : « {self.env} » inconnu ; attendu development ou production")
        if not 0 <= self.min_fill_seconds <= MAX_MIN_FILL_SECONDS:
            problems.append(
                f"PARTAJ_MIN_FILL_SECONDS : {self.min_fill_seconds} ; attendu entre 0 et "
                f"{MAX_MIN_FILL_SECONDS:g} secondes (au-delà, des personnes rapides "
                "seraient prises pour des robots)"
            )
        if self.max_body_bytes < 1024:
            problems.append(f"PARTAJ_MAX_BODY_BYTES : {self.max_body_bytes} ; attendu au moins 1024 octets")
        if self.retention_months < 1:
            problems.append(f"PARTAJ_RETENTION_MONTHS : {self.retention_months} ; attendu au moins 1 mois")
        if self.rate_limit.count < 1 or self.rate_limit.seconds <= 0:
            problems.append("PARTAJ_RATE_LIMIT : attendu au moins 1 envoi sur une durée positive")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"PARTAJ_TIMEZONE : fuseau « {self.timezone} » inconnu (ex. Europe/Paris)")
        url = urlsplit(self.base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            problems.append(
                f"PARTAJ_BASE_URL : « {self.base_url} » ; attendu une adresse comme https://partaj.example.fr"
            )
        if self.smtp_host and not self.smtp_from:
            problems.append(
                "PARTAJ_SMTP_FROM : obligatoire quand PARTAJ_SMTP_HOST est donné (expéditeur des avis)"
            )
        if not 0 < self.smtp_port < 65536:
            problems.append(f"PARTAJ_SMTP_PORT : {self.smtp_port} ; attendu un port entre 1 et 65535")
        if self.production:
            problems.extend(self.production_problems())
        if problems:
            raise SettingsError(problems)

    def production_problems(self) -> list[str]:
        """Values that are fine on a laptop and dangerous on a server."""
        problems = []
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            problems.append(
                f"PARTAJ_SECRET_KEY : obligatoire en production, au moins {MIN_SECRET_LENGTH} caractères "
                '(générez-la avec : python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        if not self.base_url.startswith("https://"):
            problems.append("PARTAJ_BASE_URL : en production, l'adresse publique doit commencer par https://")
        if "*" in self.allowed_hosts:
            problems.append(
                "PARTAJ_ALLOWED_HOSTS : « * » interdit en production ; listez les noms d'hôte servis"
            )
        if self.smtp_host and self.smtp_password and not self.smtp_starttls:
            problems.append(
                "PARTAJ_SMTP_STARTTLS : obligatoire en production quand un mot de passe SMTP est donné "
                "(sinon il circule en clair)"
            )
        public_host = urlsplit(self.base_url).hostname or ""
        if public_host and public_host.lower() not in self.allowed_hosts:
            problems.append(
                f"PARTAJ_ALLOWED_HOSTS : doit contenir l'hôte de PARTAJ_BASE_URL (« {public_host} »)"
            )
        for name, value in (
            ("PARTAJ_RESPONSABLE_TRAITEMENT", self.responsable_traitement),
            ("PARTAJ_CONTACT_RGPD", self.contact_rgpd),
        ):
            if value == NOT_CONFIGURED:
                problems.append(
                    f"{name} : obligatoire en production (affiché dans la notice d'information RGPD)"
                )
        return problems


def _loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_rate_limit(raw: str) -> RateLimit:
    """Parse `COUNT/SECONDS` (e.g. `10/600`)."""
    count, _, seconds = raw.partition("/")
    return RateLimit(int(count), float(seconds or "600"))
