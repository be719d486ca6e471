"""``sql`` connector: SQLAlchemy Core statements generated from the data map.

Tables are reflected once (the data map's names are checked against the database), every
identifier is a bound parameter, and each operation on a system is one transaction. The
select and delete of each table are built once per identifier kind and reused with the
principal's value bound (SQLAlchemy then reuses their compiled form too).
A table reached ``via`` another (``customer_id`` -> ``customers.id``) is selected with a
subquery on the keyed table, so one statement per table whatever the number of rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    Table,
    bindparam,
    create_engine,
    delete,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ColumnElement

from privacy.connectors.base import (
    ErasedField,
    ErasureReport,
    Export,
    Principal,
    Pseudonymize,
)
from privacy.datamap_model import ENV_REFERENCE, ErasureAction, SystemSpec, TableSpec
from privacy.errors import ConnectorError, DataMapError

PRINCIPAL = "principal"  # the bound parameter holding the principal's identifier


def resolve_url(url: str) -> str:
    """Replace ``${ENV}`` references with the environment's values (secrets stay out of maps)."""

    def value(match: Any) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConnectorError(f"environment variable {name} is not set")
        return os.environ[name]

    return ENV_REFERENCE.sub(value, url)


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


class SqlConnector:
    kind = "sql"

    def __init__(self, system: SystemSpec, engine: Engine | None = None) -> None:
        self.name = system.name
        self.system = system
        self._engine = engine
        self._owns_engine = engine is None  # a handed-in engine is its owner's to dispose
        self._tables: dict[str, Table] | None = None
        self._statements: dict[tuple[str, str, str], Executable | None] = {}

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            assert self.system.url is not None
            self._engine = create_engine(resolve_url(self.system.url), pool_pre_ping=True)
        return self._engine

    def close(self) -> None:
        """Dispose the connection pool this connector created (the next use opens a new one)."""
        if self._owns_engine and self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # --- schema -------------------------------------------------------------------------

    def tables(self) -> dict[str, Table]:
        if self._tables is None:
            self._tables = self._reflect()
        return self._tables

    def _reflect(self) -> dict[str, Table]:
        metadata = MetaData()
        found: dict[str, Table] = {}
        problems: list[str] = []
        try:
            for spec in self.system.tables:
                try:
                    found[spec.name] = Table(spec.name, metadata, autoload_with=self.engine)
                except NoSuchTableError:
                    problems.append(f"system {self.name}: unknown table {spec.name!r}")
        except SQLAlchemyError as exc:
            raise ConnectorError(f"system {self.name} unreachable: {type(exc).__name__}") from None
        for spec in self.system.tables:
            table = found.get(spec.name)
            if table is None:
                continue
            wanted = {spec.key.column, spec.subject, *(f.column for f in spec.fields)}
            wanted.update(spec.identifiers.values())
            for column in sorted(wanted - set(table.columns.keys())):
                problems.append(f"system {self.name}: table {spec.name} has no column {column!r}")
        if problems:
            raise DataMapError(problems)
        return found

    def check(self) -> None:
        """Reflect now: raises ``DataMapError`` naming unknown tables and columns."""
        self._tables = self._reflect()
        self._statements = {}

    # --- statements ---------------------------------------------------------------------

    def _match(self, spec: TableSpec, kind: str) -> ColumnElement[bool] | None:
        """Which rows of ``spec`` belong to a principal known by ``kind`` (None: the table
        cannot tell); the identifier is the bound parameter ``principal``."""
        tables = self.tables()
        table = tables[spec.name]
        column = spec.identifier_column(kind)
        if column is not None:
            return table.c[column] == bindparam(PRINCIPAL)
        if spec.key.via is not None:
            parent_name, _, parent_column = spec.key.via.partition(".")
            parent = self.system.table(parent_name)
            if parent is None:
                return None
            parent_match = self._match(parent, kind)
            if parent_match is None:
                return None
            parent_table = tables[parent_name]
            subquery = select(parent_table.c[parent_column]).where(parent_match)
            return table.c[spec.key.column].in_(subquery.scalar_subquery())
        return None

    def _statement(self, operation: str, spec: TableSpec, kind: str) -> Executable | None:
        """The table's select or delete for a principal of ``kind``, built once (ADR 0605)."""
        key = (operation, spec.name, kind)
        if key not in self._statements:
            match = self._match(spec, kind)
            table = self.tables()[spec.name]
            statement: Executable | None = None
            if match is not None and operation == "select":
                statement = select(*_columns(table, spec)).where(match)
            elif match is not None and operation == "delete":
                statement = delete(table).where(match)
            self._statements[key] = statement
        return self._statements[key]

    def _ordered(self) -> list[TableSpec]:
        """Referencing tables first (erasure must not break foreign keys)."""
        return sorted(self.system.tables, key=lambda t: t.key.via is None)

    def export(self, principal: Principal) -> Export:
        result = Export()
        bound = {PRINCIPAL: principal.value}
        try:
            with self.engine.connect() as connection:
                for spec in self.system.tables:
                    statement = self._statement("select", spec, principal.kind)
                    if statement is None:
                        continue
                    rows = connection.execute(statement, bound).mappings().all()
                    result.tables[spec.name] = [
                        {key: json_value(value) for key, value in row.items()} for row in rows
                    ]
                    result.categories[spec.name] = {f.column: f.category.value for f in spec.fields}
                    if spec.key.via is None:
                        result.subject_ids.update(str(row[spec.subject]) for row in rows)
        except SQLAlchemyError as exc:
            raise ConnectorError(f"system {self.name}: {type(exc).__name__}") from None
        return result

    def correct(self, principal: Principal, changes: Mapping[str, Mapping[str, Any]]) -> int:
        changed = 0
        try:
            with self.engine.begin() as connection:
                for table_name, values in changes.items():
                    spec = self.system.table(table_name)
                    if spec is None:
                        raise ConnectorError(f"system {self.name} has no table {table_name!r}")
                    allowed = {f.column for f in spec.fields if not f.encrypted}
                    unknown = sorted(set(values) - allowed)
                    if unknown:
                        raise ConnectorError(
                            f"{self.name}.{table_name}: cannot correct {', '.join(unknown)}"
                        )
                    match = self._match(spec, principal.kind)
                    if match is None:
                        continue
                    table = self.tables()[spec.name]
                    statement = update(table).where(match).values(**dict(values))
                    changed += connection.execute(statement, {PRINCIPAL: principal.value}).rowcount
        except SQLAlchemyError as exc:
            raise ConnectorError(f"system {self.name}: {type(exc).__name__}") from None
        return changed

    def erase(self, principal: Principal, pseudonymize: Pseudonymize) -> ErasureReport:
        report = ErasureReport()
        try:
            with self.engine.begin() as connection:
                for spec in self._ordered():
                    if self._match(spec, principal.kind) is not None:
                        self._erase_table(connection, spec, principal, pseudonymize, report)
        except SQLAlchemyError as exc:
            raise ConnectorError(f"system {self.name}: {type(exc).__name__}") from None
        return report

    def _erase_table(
        self,
        connection: Connection,
        spec: TableSpec,
        principal: Principal,
        pseudonymize: Pseudonymize,
        report: ErasureReport,
    ) -> None:
        table = self.tables()[spec.name]
        bound = {PRINCIPAL: principal.value}
        select_rows = self._statement("select", spec, principal.kind)
        assert select_rows is not None
        rows = connection.execute(select_rows, bound).mappings().all()
        if spec.key.via is None:
            report.subject_ids.update(str(row[spec.subject]) for row in rows)
        count = len(rows)
        rules = {f.column: spec.rule_for(f.column) for f in spec.fields}
        table_rule = spec.on_erasure
        overridden = any(f.on_erasure is not None for f in spec.fields)
        if table_rule.action is ErasureAction.DELETE and not overridden:
            delete_rows = self._statement("delete", spec, principal.kind)
            assert delete_rows is not None
            deleted = connection.execute(delete_rows, bound).rowcount
            report.rows_deleted[spec.name] = deleted
            for column in rules:
                report.fields.append(
                    ErasedField(self.name, spec.name, column, ErasureAction.DELETE, deleted)
                )
            return
        nulls: dict[str, None] = {}
        pseudonymized: list[str] = []
        for column, rule in rules.items():
            action = rule.action
            if action is ErasureAction.DELETE:  # a kept row's field: its value goes
                action = ErasureAction.NULLIFY
            if action is ErasureAction.NULLIFY:
                nulls[column] = None
            elif action is ErasureAction.PSEUDONYMIZE:
                pseudonymized.append(column)
            report.fields.append(
                ErasedField(self.name, spec.name, column, action, count, rule.reason, rule.until)
            )
        match = self._match(spec, principal.kind)
        if nulls and count and match is not None:
            connection.execute(update(table).where(match).values(**nulls), bound)
        # last: pseudonymizing the identifier column changes which rows ``match`` selects
        for column in pseudonymized:
            self._pseudonymize(connection, table, spec, rows, column, pseudonymize)

    def _pseudonymize(  # noqa: PLR0917
        self,
        connection: Connection,
        table: Table,
        spec: TableSpec,
        rows: Any,
        column: str,
        pseudonymize: Pseudonymize,
    ) -> None:
        key = table.c[spec.key.column]
        pk = list(table.primary_key.columns) or [key]
        for row in rows:
            value = row[column]
            if value is None:
                continue
            where = [c == row[c.name] for c in pk if c.name in row]
            if not where:
                raise ConnectorError(f"{self.name}.{spec.name}: no primary key to update by")
            connection.execute(
                update(table).where(*where).values({column: pseudonymize(str(value), column)})
            )


def _columns(table: Table, spec: TableSpec) -> list[Column[Any]]:
    names = [spec.key.column, spec.subject, *spec.identifiers.values()]
    names += [f.column for f in spec.fields]
    names += [c.name for c in table.primary_key.columns]
    seen: list[str] = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return [table.c[name] for name in seen]
