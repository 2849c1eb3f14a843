"""ISPyB as PyPI's ``ispyb`` package declares it (SQLAlchemy models of schema 5.2.0, newer than
the shared build's 5.0.0): its tables created from the models, ISPyB's test data loaded into
them, and the lookup rows a facility has (the models create empty lookup tables, and the first
Container needs ProcessingPipeline 6). No stored procedures: those are the shared build's."""

from __future__ import annotations

import re

from tests.mariadb_server import ISPYB_SQL, MariaDB

LOOKUPS = """
INSERT IGNORE INTO ProcessingPipelineCategory (processingPipelineCategoryId, name)
  VALUES (1, 'automatic');
INSERT IGNORE INTO ProcessingPipeline (processingPipelineId, processingPipelineCategoryId, name,
  discipline, pipelineStatus, reprocessing) VALUES (6, 1, 'xia2/DIALS', 'MX', 'automatic', 1);
INSERT IGNORE INTO ComponentType (componentTypeId, name) VALUES (1, 'Protein'), (5, 'Ligand'),
  (3, 'Small Molecule');
INSERT IGNORE INTO ContainerType (containerTypeId, name, proposalType, active, capacity)
  VALUES (12, 'Puck', 'mx', 1, 16);
"""


def _create_statements(url: str) -> list[str]:
    """Each table's CREATE TABLE with its indexes inside (separate CREATE INDEX statements
    rebuild the table each time: ten times slower on InnoDB)."""
    import sqlalchemy as sa
    from ispyb.sqlalchemy import Base
    from sqlalchemy.schema import CreateIndex, CreateTable

    engine = sa.create_engine(url)
    with engine.connect():  # the dialect learns it is MariaDB (its reserved words) on connect
        dialect = engine.dialect
    engine.dispose()
    statements = []
    for table in Base.metadata.sorted_tables:
        create = str(CreateTable(table).compile(dialect=dialect)).strip()
        keys = []
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            text = str(CreateIndex(index).compile(dialect=dialect))
            found = re.match(r"CREATE (UNIQUE )?INDEX (\S+) ON \S+ (\(.*\))", text, re.S)
            assert found, text
            keys.append(f"{found.group(1) or ''}KEY {found.group(2)} {found.group(3)}")
        if keys:
            head, _, tail = create.rpartition("\n)")
            create = head.rstrip() + ",\n\t" + ",\n\t".join(keys) + "\n)" + tail
        statements.append(create + ";")
    return statements


def build_from_models(server: MariaDB, database: str = "models") -> None:
    server.sql(f"CREATE DATABASE `{database}`;")
    server.sql("\n".join(_create_statements(server.url(database))), database)
    server.sql((ISPYB_SQL / "data.sql").read_text(encoding="utf-8"), database, force=True)
    server.sql(LOOKUPS, database, force=True)
