"""Settings from the environment, in one place.

Neo4j connection: ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``.
When ``NEO4J_URI`` is unset the project's own local server is used (see ``localserver``)
and its generated password is read from the data folder.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The repository root: ``cypher/`` and ``neo4j/`` live here.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "scalpernet"


class Settings(BaseSettings):
    """Everything configurable, read once per process."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    neo4j_uri: str | None = Field(default=None, alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", alias="NEO4J_USER")
    neo4j_password: str | None = Field(default=None, alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", alias="NEO4J_DATABASE")

    data_dir: Path = Field(default_factory=_default_data_dir, alias="SCALPERNET_DATA_DIR")
    bolt_port: int = Field(default=7687, alias="SCALPERNET_BOLT_PORT", ge=1, le=65535)
    neo4j_version: str = Field(default="5.26.30", alias="SCALPERNET_NEO4J_VERSION")
    neo4j_dist: Path = Field(default=PROJECT_ROOT / "neo4j", alias="SCALPERNET_NEO4J_DIST")
    #: The local server's memory; unset: chosen from the machine's (``servermemory``).
    neo4j_heap: str | None = Field(default=None, alias="SCALPERNET_NEO4J_HEAP")
    neo4j_pagecache: str | None = Field(default=None, alias="SCALPERNET_NEO4J_PAGECACHE")
    drop_dir: Path | None = Field(default=None, alias="SCALPERNET_DROP_DIR")
    #: The detection allow-list (docs/detection.md); default ``<data_dir>/allowlist.yaml``.
    allowlist: Path | None = Field(default=None, alias="SCALPERNET_ALLOWLIST")
    start_timeout_s: float = Field(default=180.0, alias="SCALPERNET_NEO4J_START_TIMEOUT")
    #: ``analyze`` reads the registrations booked within this many days of the newest one
    #: (0: the whole history; docs/detection.md, Window).
    analysis_window_days: int = Field(default=180, alias="SCALPERNET_ANALYSIS_WINDOW_DAYS",
                                      ge=0)
    #: Waits (seconds) between tries of any call while Neo4j is away (stopped, restarting).
    neo4j_retry_waits: Annotated[tuple[Annotated[float, Field(ge=0)], ...], NoDecode] = Field(
        default=(1.0, 2.0, 4.0, 8.0, 16.0, 32.0), alias="SCALPERNET_NEO4J_RETRY_WAITS")
    #: The same for the API's queries: an interactive caller waits seconds, then gets a 503.
    api_retry_waits: Annotated[tuple[Annotated[float, Field(ge=0)], ...], NoDecode] = Field(
        default=(0.5, 1.0, 2.0), alias="SCALPERNET_API_RETRY_WAITS")

    #: The language the ``scalpernet`` command speaks: zh-CN (the default) or en
    #: (``scalpernet --lang`` overrides it; the pages take ``?lang=``).
    command_lang: Literal["zh-CN", "en"] = Field(default="zh-CN", alias="SCALPERNET_LANG")

    # The nightly service (docs/nightly.md).
    nightly_cron: str = Field(default="0 2 * * *", alias="SCALPERNET_NIGHTLY_CRON")
    nightly_timezone: str = Field(default="Asia/Shanghai", alias="SCALPERNET_NIGHTLY_TZ")
    drop_settle_s: float = Field(default=60.0, alias="SCALPERNET_DROP_SETTLE_S", ge=0)
    #: Waits (seconds) between tries to reach Neo4j in a pass, e.g. "10,30,60,120,300".
    nightly_retry_waits: Annotated[tuple[Annotated[float, Field(ge=0)], ...], NoDecode] = Field(
        default=(10.0, 30.0, 60.0, 120.0, 300.0), alias="SCALPERNET_NIGHTLY_RETRY_WAITS")

    @field_validator("nightly_retry_waits", "neo4j_retry_waits", "api_retry_waits",
                     mode="before")
    @classmethod
    def _waits(cls, value: Any) -> Any:
        """A comma-separated list of seconds (empty: no retry)."""
        if isinstance(value, str):
            return tuple(float(v) for v in value.replace(" ", "").split(",") if v)
        return value

    @model_validator(mode="after")
    def _default_drop_dir(self) -> Settings:
        """Exports are dropped in ``<data_dir>/drop`` unless ``SCALPERNET_DROP_DIR`` says."""
        if self.drop_dir is None:
            self.drop_dir = self.data_dir / "drop"
        return self

    @property
    def external(self) -> bool:
        """True when an outside server is named and the local one must not be started."""
        return bool(self.neo4j_uri)

    @property
    def uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def server_dir(self) -> Path:
        """The local server's home: config, data, logs, pid file."""
        return self.data_dir / "neo4j"

    @property
    def password_file(self) -> Path:
        return self.server_dir / "password"

    @property
    def password(self) -> str | None:
        """``NEO4J_PASSWORD``, else the local server's generated one (if it exists)."""
        if self.neo4j_password is not None:
            return self.neo4j_password
        if not self.external and self.password_file.exists():
            return self.password_file.read_text(encoding="utf-8").strip()
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (cached; tests clear the cache after changing the env)."""
    return Settings()
