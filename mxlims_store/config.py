"""Settings: one ``BaseSettings`` read from ``MXLIMS_*`` environment variables, built lazily."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Where the embedded store keeps a newcomer's data: ``$XDG_DATA_HOME/mxlims-store``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "mxlims-store"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MXLIMS_", env_file=".env", extra="ignore")

    mongodb_url: str | None = Field(
        default=None, description="MongoDB connection URL; unset = the embedded store in data_dir"
    )
    data_dir: Path = Field(default_factory=default_data_dir, description="embedded store location")
    database: str = Field(
        default="mxlims",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="database name (MongoDB), or file name `<database>.sqlite3` (embedded)",
    )
    lock_timeout: float = Field(
        default=10.0, ge=0, le=3600, description="seconds a write waits for another writer"
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


def describe_store(settings: Settings) -> str:
    """Where the store lives, for messages: any password in a MongoDB URL is hidden."""
    if settings.mongodb_url:
        return "MongoDB at " + re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", settings.mongodb_url)
    return f"the embedded store in {settings.data_dir}"


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
