"""An ISPyB database as the bridge sees it: tables reflected from the live schema (never from
a models package of another schema version), each text column's character set and length, and
the URL as it may be shown (no password)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mxlims_store.errors import Unavailable

T = TypeVar("T")

# Everything the bridge reads or writes.
TABLES = (
    "Proposal",
    "BLSession",
    "Person",
    "LabContact",
    "Shipping",
    "Dewar",
    "Container",
    "ContainerType",
    "BLSample",
    "Crystal",
    "Protein",
    "Component",
    "ComponentType",
    "CrystalComposition",
    "DiffractionPlan",
    "BLSample_has_DataCollectionPlan",
    "BLSubSample",
    "DataCollectionGroup",
    "DataCollection",
    "AutoProcProgram",
    "AutoProc",
    "AutoProcIntegration",
    "AutoProcScaling",
    "AutoProcScaling_has_Int",
    "AutoProcScalingStatistics",
    "DewarTransportHistory",
    "ContainerHistory",
)

# MariaDB character sets -> Python codecs that accept exactly what the column can hold.
_CODECS = {
    "latin1": "cp1252",
    "utf8mb3": "utf-8",
    "utf8": "utf-8",
    "utf8mb4": "utf-8",
    "ascii": "ascii",
}


class IspybUnavailable(Unavailable):
    """The ISPyB database cannot be reached or is not ISPyB; the message says which URL (no
    password) and why."""


def shown_url(url: str) -> str:
    """``url`` with any password replaced by ``***``: what logs, reports and history may hold."""
    return re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", url)


@dataclass(frozen=True)
class TextColumn:
    charset: str
    length: int | None


@dataclass
class Ispyb:
    """An engine on one ISPyB database and its reflected tables."""

    engine: Any
    url: str
    tables: dict[str, Any] = field(default_factory=dict)
    text_columns: dict[tuple[str, str], TextColumn] = field(default_factory=dict)
    float_columns: set[tuple[str, str]] = field(default_factory=set)

    def t(self, name: str) -> Any:
        return self.tables[name]

    def check_text(self, table: str, column: str, value: str) -> str | None:
        """Why ``value`` cannot be stored in ``table.column`` as it is, or None."""
        spec = self.text_columns.get((table, column))
        if spec is None:
            return None
        if spec.length is not None and len(value) > spec.length:
            return f"{len(value)} characters; {table}.{column} holds {spec.length}"
        codec = _CODECS.get(spec.charset, "utf-8")
        try:
            encoded = value.encode(codec)
        except UnicodeEncodeError as error:
            bad = value[error.start : error.end]
            return f"{bad!r} cannot be stored in {table}.{column} ({spec.charset})"
        if spec.charset in ("utf8mb3", "utf8") and any(len(ch.encode()) > 3 for ch in value):
            return f"characters outside {spec.charset} cannot be stored in {table}.{column}"
        del encoded
        return None


def database_errors(work: Callable[..., T], ispyb: Ispyb) -> Callable[..., T]:
    """``work`` whose database failures become one clear error (the transaction is already
    rolled back): ISPyB refusing a row is a refusal, anything else ISPyB being unavailable."""

    def guarded(*args: Any) -> T:
        import sqlalchemy as sa

        from mxlims_store.ispyb.report import IspybRefused

        try:
            return work(*args)
        except (sa.exc.IntegrityError, sa.exc.DataError) as error:
            reason = str(getattr(error, "orig", error)).splitlines()[0]
            raise IspybRefused([f"ISPyB refused a row, nothing written: {reason}"]) from None
        except sa.exc.SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise IspybUnavailable(f"ISPyB at {ispyb.url} failed: {reason}") from None

    return guarded


# Its queries (information_schema, utf8mb4) are MariaDB's and MySQL's; PyMySQL is the driver
# installed with it. Another URL would fail deep inside SQLAlchemy (a missing driver: a traceback).
ONLY_PYMYSQL = (
    "the ISPyB bridge speaks to MariaDB or MySQL through PyMySQL: "
    "give mysql+pymysql://user:password@host:3306/ispyb"
)


def connect(url: str) -> Ispyb:
    """Open ``url`` (an SQLAlchemy URL, ``mysql+pymysql://user:pw@host:port/ispyb``) and reflect
    the bridge's tables; :class:`IspybUnavailable` names the URL without its password."""
    try:
        import sqlalchemy as sa
    except ImportError as error:  # pragma: no cover - a runtime dependency
        raise IspybUnavailable(f"the ISPyB bridge needs SQLAlchemy and PyMySQL: {error}") from None
    try:
        given = sa.engine.make_url(url)
        if (
            given.get_backend_name() not in ("mysql", "mariadb")
            or given.get_driver_name() != "pymysql"
        ):
            raise IspybUnavailable(f"cannot open ISPyB at {shown_url(url)}: {ONLY_PYMYSQL}")
        engine = sa.create_engine(url, pool_pre_ping=True, connect_args={"charset": "utf8mb4"})
        metadata = sa.MetaData()
        with engine.connect() as connection:
            metadata.reflect(connection, only=list(TABLES))
            rows = connection.execute(
                sa.text(
                    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, CHARACTER_SET_NAME, "
                    "CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS "
                    "WHERE TABLE_SCHEMA = DATABASE()"
                )
            ).all()
    except sa.exc.InvalidRequestError as error:
        raise IspybUnavailable(
            f"{shown_url(url)} is not an ISPyB database the bridge knows: {error}"
        ) from None
    except (sa.exc.SQLAlchemyError, ValueError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        reason = reason.replace(url, shown_url(url))  # a parse error quotes the whole URL
        raise IspybUnavailable(f"cannot open ISPyB at {shown_url(url)}: {reason}") from None
    ispyb = Ispyb(engine=engine, url=shown_url(url), tables=dict(metadata.tables))
    for table, column, data_type, charset, length in rows:
        if table not in TABLES:
            continue
        if charset is not None and data_type in ("varchar", "char", "text", "mediumtext"):
            ispyb.text_columns[(table, column)] = TextColumn(charset, length)
        if data_type == "float":
            ispyb.float_columns.add((table, column))
    return ispyb
