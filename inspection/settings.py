"""Settings from the environment, in one place.

Every setting has an ``INSPECTION_`` environment variable. Tests pass a plain mapping instead.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise.backends.base.config_generator import expand_db_url

from inspection.throttle import Throttle

MODEL_MODULES = ["inspection.models"]
# The names the app answers to when INSPECTION_ALLOWED_HOSTS is not set: this machine only, as
# `inspection serve` and `inspection demo` listen on 127.0.0.1 by default.
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "[::1]")
# The address space a process reading one workbook may take (evidence/reading.py).
DEFAULT_READ_MEMORY_MB = 4096
DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class SettingsError(ValueError):
    """A setting in the environment that cannot be used; the message names it."""


def _default_data_dir() -> Path:
    return Path.cwd() / "data"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    read_memory_bytes: int = DEFAULT_READ_MEMORY_MB << 20
    https: bool = False
    login_attempts_per_window: int = 5
    login_attempts_per_address: int = 20
    login_window_seconds: int = 300
    retention_days: int = 365
    incoming_max_age_minutes: int = 60
    # How long a finished export's file is kept for its maker to download.
    export_keep_minutes: int = 60
    # A running job whose worker has not renewed its lease for this long is taken as ended.
    job_lease_seconds: float = 60.0
    # Whether the web process runs a job worker of its own (``serve --no-worker`` turns it off).
    in_process_worker: bool = True
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    trusted_proxies: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    def sign_in_throttle(self) -> Throttle:
        return Throttle(
            self.login_attempts_per_window,
            self.login_window_seconds,
            self.login_attempts_per_address,
        )

    @property
    def dialect(self) -> str:
        return "postgres" if self.database_url.startswith(("postgres", "asyncpg")) else "sqlite"

    def database_label(self) -> str:
        """The database URL without any password, for messages."""
        parts = urlsplit(self.database_url)
        if parts.password:
            netloc = f"{parts.username}:***@{parts.hostname}"
            if parts.port:
                netloc += f":{parts.port}"
            return parts._replace(netloc=netloc).geturl()
        return self.database_url

    def tortoise_config(self) -> dict[str, object]:
        return tortoise_config(self.database_url)


async def keep_session(connection: object) -> None:
    """asyncpg's pool resets every connection it takes back (advisory unlocks, CLOSE ALL,
    UNLISTEN, RESET ALL): one more round trip after each query, as Tortoise releases the
    connection per query. The app keeps no session state (no LISTEN, SET, cursors or advisory
    locks), and asyncpg still rolls back a transaction left open, so nothing else is needed.
    Halves the round trips of every page (bench/bench_load.py)."""


def tortoise_config(database_url: str) -> dict[str, object]:
    url = database_url
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    connection: str | dict[str, Any] = url
    if url.startswith("postgres://"):
        connection = expand_db_url(url)
        connection["credentials"]["reset"] = keep_session
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "inspection.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def load(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("INSPECTION_DATA_DIR") or _default_data_dir()).resolve()
    database_url = (
        env.get("INSPECTION_DATABASE_URL") or f"sqlite://{data_dir / 'inspection.sqlite3'}"
    )
    secret_key = env.get("INSPECTION_SECRET_KEY") or _stored_secret(data_dir)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secret_key,
        session_idle_minutes=int(env.get("INSPECTION_SESSION_IDLE_MINUTES", "30")),
        session_max_hours=int(env.get("INSPECTION_SESSION_MAX_HOURS", "12")),
        max_upload_bytes=int(env.get("INSPECTION_MAX_UPLOAD_BYTES", str(DEFAULT_MAX_UPLOAD_BYTES))),
        read_memory_bytes=_megabytes(env, "INSPECTION_READ_MEMORY_MB", DEFAULT_READ_MEMORY_MB),
        https=env.get("INSPECTION_HTTPS", "").lower() in {"1", "true", "yes"},
        retention_days=int(env.get("INSPECTION_RETENTION_DAYS", "365")),
        incoming_max_age_minutes=int(env.get("INSPECTION_INCOMING_MAX_AGE_MINUTES", "60")),
        export_keep_minutes=int(env.get("INSPECTION_EXPORT_KEEP_MINUTES", "60")),
        job_lease_seconds=_lease_seconds(env),
        in_process_worker=env.get("INSPECTION_IN_PROCESS_WORKER", "1").lower()
        not in {"0", "false", "no"},
        allowed_hosts=allowed_hosts(env.get("INSPECTION_ALLOWED_HOSTS", "")),
        trusted_proxies=trusted_proxies(env.get("INSPECTION_TRUSTED_PROXIES", "")),
    )


def _lease_seconds(env: Mapping[str, str]) -> float:
    text = env.get("INSPECTION_JOB_LEASE_SECONDS", "").strip() or "60"
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 1 <= seconds <= 86400:
        raise SettingsError(
            "INSPECTION_JOB_LEASE_SECONDS must be a number of seconds from 1 to 86400, "
            f"not '{text}'."
        )
    return seconds


def _megabytes(env: Mapping[str, str], key: str, default: int) -> int:
    text = env.get(key, "").strip() or str(default)
    if not text.isdigit() or not 256 <= int(text) <= 1 << 20:
        raise SettingsError(f"{key} must be a whole number of megabytes, at least 256 ({text!r}).")
    return int(text) << 20


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def allowed_hosts(text: str) -> tuple[str, ...]:
    """The host names in a comma-separated list (``*.example.org`` for any subdomain, ``*``
    for any host at all); the defaults when it is empty."""
    hosts = tuple(item.lower() for item in _items(text))
    for host in hosts:
        if "*" in host[1:] or (host.startswith("*") and host != "*" and not host.startswith("*.")):
            raise SettingsError(
                f"INSPECTION_ALLOWED_HOSTS: '{host}' is not a host name; a wildcard is written "
                "'*.example.org' (any subdomain) or '*' (any host)."
            )
    return hosts or DEFAULT_ALLOWED_HOSTS


def trusted_proxies(text: str) -> tuple[str, ...]:
    """The proxy addresses or networks in a comma-separated list (``10.0.0.5``,
    ``10.0.0.0/24``, ``::1``); empty when none is trusted."""
    proxies = tuple(_items(text))
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"INSPECTION_TRUSTED_PROXIES: '{proxy}' is not an IP address or network "
                "(such as 10.0.0.5 or 10.0.0.0/24)."
            ) from None
    return proxies


def _stored_secret(data_dir: Path) -> str:
    """A random secret kept in the data directory, so sessions survive a restart."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


# For Tortoise's own command line (`tortoise makemigrations`), configured in pyproject.toml.
TORTOISE_ORM = tortoise_config(
    os.environ.get("INSPECTION_DATABASE_URL") or "sqlite://data/inspection.sqlite3"
)
