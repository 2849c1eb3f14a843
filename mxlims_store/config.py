"""Settings: one ``BaseSettings`` read from ``MXLIMS_*`` environment variables, built lazily.

What locates the embedded store (prefix, ``.env``, defaults, the database name's pattern) is
declared in :mod:`mxlims_store.store_location`, which `mxlims-store stats` reads without pydantic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mxlims_store.errors import MxlimsError
from mxlims_store.store_location import (
    DATABASE_PATTERN,
    DEFAULT_DATABASE,
    DEFAULT_LOCK_TIMEOUT,
    ENV_FILE,
    ENV_PREFIX,
    default_data_dir,
    describe_embedded,
    dotenv_problem,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore")

    mongodb_url: str | None = Field(
        default=None, description="MongoDB connection URL; unset = the embedded store in data_dir"
    )
    data_dir: Path = Field(default_factory=default_data_dir, description="embedded store location")
    database: str = Field(
        default=DEFAULT_DATABASE,
        pattern=DATABASE_PATTERN,
        description="database name (MongoDB), or file name `<database>.sqlite3` (embedded)",
    )
    lock_timeout: float = Field(
        default=DEFAULT_LOCK_TIMEOUT,
        ge=0,
        le=3600,
        description="seconds a write waits for another writer",
    )
    host: str = Field(default="127.0.0.1", description="address `serve` binds to")
    port: int = Field(default=8000, ge=1, le=65535, description="port `serve` listens on")
    facility_name: str = Field(default="mxlims-store", description="name shown by GET /facility")
    allowed_hosts: str = Field(
        default="localhost,127.0.0.1",
        description="comma-separated host names the API answers to (DNS rebinding guard); `*`: any",
    )
    cors_origins: str = Field(
        default="", description="comma-separated origins allowed to call the API from a browser"
    )
    secure_cookies: bool = Field(
        default=False,
        description="send the pages' session cookie over HTTPS only (set behind a TLS proxy)",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="server processes `serve` starts (any answers any request)",
    )
    build_slots: int = Field(
        default=2,
        ge=1,
        le=64,
        description="downloads (results files, exports, sheets) one worker builds at once",
    )
    build_wait: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="seconds a download waits for a build slot before a 503 with Retry-After",
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (`*`: any); none by default",
    )
    failed_key_limit: int = Field(
        default=30,
        ge=1,
        le=100000,
        description="failed API keys or sign-ins one client address may send per minute (429)",
    )
    max_body_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="largest accepted upload"
    )
    # Slow clients (`serve`): a connection is never held open by a trickled request.
    header_timeout: float = Field(
        default=10.0, gt=0, le=3600, description="seconds to send a request's line and headers"
    )
    body_timeout: float = Field(
        default=30.0, gt=0, le=3600, description="longest pause while a request body arrives"
    )
    body_total_timeout: float = Field(
        default=600.0,
        gt=0,
        le=86400,
        description="seconds a whole request body may take (64 MiB at about 1 Mbit/s)",
    )
    # The ISPyB bridge (`ispyb push/pull`, the staff routes): the facility's own LIMS database.
    ispyb_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the facility's ISPyB (mysql+pymysql://user:pw@host/ispyb)",
    )
    ispyb_timezone: str = Field(
        default="UTC", description="the site's time zone, in which ISPyB keeps its naive times"
    )
    ispyb_domain: str = Field(
        default="ispyb.local",
        pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
        description="domain under which objects keep their ISPyB row (identifiers)",
    )

    @field_validator("mongodb_url")
    @classmethod
    def _mongodb_url(cls, url: str | None) -> str | None:
        """A MongoDB URL is checked here, before anything is opened or created."""
        if url is None or not url.strip():
            return None
        if not url.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        if url.startswith("mongodb://"):  # +srv would need a DNS lookup: the start checks it
            from pymongo.errors import ConfigurationError, InvalidURI
            from pymongo.uri_parser import parse_uri

            try:
                parse_uri(url)
            except (InvalidURI, ConfigurationError, ValueError) as error:
                raise ValueError(str(error).split("\n")[0]) from None
        return url

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir(cls, value: object) -> object:
        """An empty MXLIMS_DATA_DIR is a mistake, not the working directory (where `serve`
        would make a new store unasked)."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("empty")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, text: str) -> str:
        """uvicorn takes a name that is no address as a literal that never matches: a typo
        would silently trust no proxy (or the wrong one)."""
        for entry in split_list(text):
            if entry != "*":
                try:
                    ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is no IP address or network") from None
        return text

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, text: str) -> str:
        """A browser sends its origin as scheme://host[:port], nothing after it: an origin
        written with a path or a trailing slash would never match."""
        for origin in split_list(text):
            if origin != "*" and not re.fullmatch(r"https?://[^/\s?#]+", origin):
                raise ValueError(f"{origin!r} is no origin")
        return text

    @field_validator("ispyb_url")
    @classmethod
    def _ispyb_url(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
            raise ValueError("not a URL")
        if not re.match(r"^(mysql|mariadb)\+pymysql://", url):  # the bridge's only driver
            raise ValueError("the ISPyB bridge speaks to MariaDB or MySQL through PyMySQL only")
        from sqlalchemy.engine import make_url  # only when set: a malformed port fails now

        try:
            make_url(url)
        except Exception:  # its message would repeat the URL, password included
            raise ValueError("malformed (its host, port or database cannot be read)") from None
        return url

    @field_validator("ispyb_timezone")
    @classmethod
    def _time_zone(cls, name: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("no such time zone") from None
        return name

    @field_validator("allowed_hosts")
    @classmethod
    def _host_patterns(cls, text: str) -> str:
        if not split_list(text):  # every request would be refused, asking to set it
            raise ValueError("names no host name")
        for pattern in split_list(text):
            misplaced = "*" in pattern[1:] or (pattern[:1] == "*" and pattern[:2] != "*.")
            if pattern != "*" and misplaced:
                raise ValueError(f"{pattern!r}: a wildcard may only begin a name, as *.example.org")
            # the Host check compares the name before any ':' (no port, scheme or IPv6 literal)
            if re.search(r"[:/\s]", pattern):
                raise ValueError(f"{pattern!r} is no host name: write the name alone, no port")
        return text


ACCEPTS_OF_TYPE = {bool: "true or false", Path: "a directory path"}
ACCEPTS = {
    "database": "1 to 64 letters, digits, _ or -",
    "mongodb_url": "a URL mongodb://[user:password@]host[:port][/?options] or mongodb+srv://...",
    "allowed_hosts": "comma-separated host names, *.domain.org, or *",
    "trusted_proxies": "comma-separated IP addresses or networks (10.0.0.0/8), or *",
    "cors_origins": "comma-separated origins scheme://host[:port] with nothing after, or *",
    "ispyb_url": "an SQLAlchemy URL mysql+pymysql://user:password@host:3306/ispyb",
    "ispyb_timezone": "a time zone name such as UTC or Europe/Paris",
    "ispyb_domain": "a domain such as ispyb.esrf.fr",
}


class SettingsError(MxlimsError):
    """Settings that cannot be used: one line per setting, naming its variable."""


def _what_it_accepts(name: str) -> str:
    field = Settings.model_fields[name]
    if name in ACCEPTS:
        return ACCEPTS[name]
    if field.annotation in (int, float):
        kind = "a whole number" if field.annotation is int else "a number"
        low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
        above = next((m.gt for m in field.metadata if hasattr(m, "gt")), None)
        high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
        if above is not None:  # the bound itself is not allowed
            return f"{kind} more than {above:g}" + (
                f", at most {high:g}" if high is not None else ""
            )
        if low is not None and high is not None:
            return f"{kind} from {low:g} to {high:g}"
        return kind + (f" of at least {low:g}" if low is not None else "")
    return next(
        (text for kind, text in ACCEPTS_OF_TYPE.items() if field.annotation is kind), "text"
    )


def _one_line(error: Mapping[str, Any]) -> str:
    loc = error.get("loc") or ("?",)
    name = str(loc[0])
    given = error.get("input")
    if name in ("mongodb_url", "ispyb_url") and isinstance(given, str):  # never a password
        given = _hide_password(given)
    reason = str(error.get("msg", "")).removeprefix("Value error, ")
    if error.get("type") == "string_pattern_mismatch":
        reason = "not accepted"
    accepts = _what_it_accepts(name) if name in Settings.model_fields else "?"
    return f"MXLIMS_{name.upper()}={given!r}: {reason} (it takes {accepts})"


def _hide_password(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def describe_store(settings: Settings) -> str:
    """Where the store lives, for messages: any password in a MongoDB URL is hidden."""
    if settings.mongodb_url:
        return "MongoDB at " + _hide_password(settings.mongodb_url)
    return describe_embedded(settings.data_dir)


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@lru_cache
def get_settings() -> Settings:
    """The settings from the environment (and ``.env``); SettingsError names every bad one."""
    try:
        odd = dotenv_problem(Path.cwd())
    except OSError:  # no working directory any more: pydantic-settings reads no .env either
        odd = None
    if odd is not None:
        raise SettingsError(odd)
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError("; ".join(_one_line(e) for e in error.errors())) from None
    except (UnicodeDecodeError, OSError) as error:  # a .env pydantic-settings cannot read
        raise SettingsError(
            f"{ENV_FILE} in the working directory cannot be read ({error}): save it as "
            "UTF-8 text, or remove it"
        ) from None
