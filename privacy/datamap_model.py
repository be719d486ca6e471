"""The data map: which systems hold whose personal data, and what erasure does to it.

One YAML file (``privacy/datamap/finsolve.yaml`` is the demo's) validated into these models;
the keys are the interface. Names that reach SQL are plain identifiers (no quotes, dots or
spaces), so a data map can never smuggle SQL into a generated statement.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SQL_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
IDENTIFIER_KIND = r"^[a-z][a-z0-9_]{0,39}$"
ENV_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")

SqlName = Annotated[str, Field(pattern=SQL_NAME)]


class Category(StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    FINANCIAL_ACCOUNT = "financial.account"
    FINANCIAL_CARD = "financial.card"
    GOVERNMENT_ID = "government_id"
    BEHAVIOURAL = "behavioural"
    AUTHENTICATION = "authentication"


class ErasureAction(StrEnum):
    DELETE = "delete"
    NULLIFY = "nullify"
    PSEUDONYMIZE = "pseudonymize"
    SHRED = "shred"
    RETAIN = "retain"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErasureRule(_Strict):
    action: ErasureAction
    reason: str | None = Field(default=None, min_length=3, max_length=500)
    until: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _retain_names_its_reason(self) -> ErasureRule:
        if self.action is ErasureAction.RETAIN and not self.reason:
            raise ValueError("retain needs a reason (the law or contract that requires keeping)")
        return self


def _rule(value: object) -> object:
    return {"action": value} if isinstance(value, str) else value


class Key(_Strict):
    """The column holding the principal's identifier, or a reference to a keyed table."""

    column: SqlName
    identifier: Annotated[str, Field(pattern=IDENTIFIER_KIND)] | None = None
    via: str | None = Field(
        default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"
    )

    @model_validator(mode="after")
    def _one_of(self) -> Key:
        if (self.identifier is None) == (self.via is None):
            raise ValueError("a key names exactly one of identifier or via")
        return self


class FieldSpec(_Strict):
    column: SqlName
    category: Category
    classification: int = Field(ge=1, le=4)
    encrypted: bool = False
    on_erasure: ErasureRule | None = None

    @field_validator("on_erasure", mode="before")
    @classmethod
    def _short_rule(cls, value: object) -> object:
        return _rule(value)


class Transfer(_Strict):
    """A transfer outside India or the EEA (GDPR Art. 30(1)(e), DPDP s.16) and its safeguard."""

    country: str = Field(pattern=r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2
    recipient: str = Field(min_length=2, max_length=200)
    safeguard: str = Field(min_length=3, max_length=300)


class Processing(_Strict):
    """Record-of-processing facts of a table or system (GDPR Art. 30(1)); all optional."""

    principals: str = Field(default="customers", max_length=200)
    recipients: list[Annotated[str, Field(min_length=2, max_length=200)]] = Field(
        default_factory=list
    )
    transfers: list[Transfer] = Field(default_factory=list)


class TableSpec(_Strict):
    name: SqlName
    key: Key
    # further identifier kinds this table can be searched by: kind -> column
    identifiers: dict[Annotated[str, Field(pattern=IDENTIFIER_KIND)], SqlName] = Field(
        default_factory=dict
    )
    # the column whose value is the principal's subject id (vault owner id); key column if unset
    subject_column: SqlName | None = None
    fields: list[FieldSpec] = Field(default_factory=list)
    on_erasure: ErasureRule = ErasureRule(action=ErasureAction.DELETE)
    purpose: str = Field(default="", max_length=500)
    legal_basis: str = Field(default="", max_length=500)
    retention: str = Field(default="", max_length=200)
    processing: Processing = Field(default_factory=Processing)

    @field_validator("on_erasure", mode="before")
    @classmethod
    def _short_rule(cls, value: object) -> object:
        return _rule(value)

    def identifier_column(self, kind: str) -> str | None:
        if self.key.identifier == kind:
            return self.key.column
        return self.identifiers.get(kind)

    @property
    def subject(self) -> str:
        return self.subject_column or self.key.column

    def rule_for(self, column: str) -> ErasureRule:
        for spec in self.fields:
            if spec.column == column and spec.on_erasure is not None:
                return spec.on_erasure
        return self.on_erasure


class S3Spec(_Strict):
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    # e.g. "customers/{customer_id}/"; the placeholder names an identifier kind
    prefix: str = Field(min_length=1, max_length=500)
    endpoint_url: str | None = None
    region: str = "ap-south-1"
    category: Category = Category.BEHAVIOURAL
    classification: int = Field(default=3, ge=1, le=4)


class SystemSpec(_Strict):
    name: SqlName
    kind: Literal["sql", "s3", "http", "manual"]
    url: str | None = None  # sql: a SQLAlchemy URL; http: the service's endpoint
    secret_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")  # http HMAC key
    tables: list[TableSpec] = Field(default_factory=list)
    s3: S3Spec | None = None
    assignee: str | None = Field(default=None, max_length=200)  # manual
    instructions: str = Field(default="", max_length=2000)  # manual
    due_days: int = Field(default=7, ge=1, le=90)  # manual
    identifiers: list[Annotated[str, Field(pattern=IDENTIFIER_KIND)]] = Field(
        default_factory=list
    )  # http/manual: the identifier kinds the system understands
    on_erasure: ErasureRule = ErasureRule(action=ErasureAction.DELETE)  # s3/http/manual
    # ROPA: what the system is for (s3/http/manual; sql tables state their own), its region,
    # and the controls of the catalog that protect it (their status comes from controls)
    purpose: str = Field(default="", max_length=500)
    retention: str = Field(default="", max_length=200)
    region: str = Field(default="ap-south-1", max_length=40)
    controls: list[Annotated[str, Field(pattern=r"^[A-Z]{2,5}(-[A-Z0-9]{2,10}){1,3}$")]] = Field(
        default_factory=list
    )
    processing: Processing = Field(default_factory=Processing)

    @field_validator("on_erasure", mode="before")
    @classmethod
    def _short_rule(cls, value: object) -> object:
        return _rule(value)

    @field_validator("url")
    @classmethod
    def _no_inline_secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _, sep, rest = value.partition("://")
        if sep and "@" in rest:
            credentials = rest.rpartition("@")[0]
            _, has_password, password = credentials.partition(":")
            if has_password and not ENV_REFERENCE.fullmatch(password):
                raise ValueError("passwords go in the environment: write ${ENV_VAR}, not inline")
        return value

    @model_validator(mode="after")
    def _kind_needs(self) -> SystemSpec:
        needs = {
            "sql": ("url", "tables"),
            "s3": ("s3",),
            "http": ("url", "secret_env"),
            "manual": ("assignee",),
        }[self.kind]
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"kind {self.kind} needs {', '.join(missing)}")
        return self

    def table(self, name: str) -> TableSpec | None:
        return next((t for t in self.tables if t.name == name), None)


class DataMap(_Strict):
    version: int = 1
    organisation: str = Field(default="", max_length=200)
    systems: list[SystemSpec] = Field(min_length=1)

    def system(self, name: str) -> SystemSpec | None:
        return next((s for s in self.systems if s.name == name), None)

    def identifier_kinds(self) -> set[str]:
        kinds: set[str] = set()
        for system in self.systems:
            kinds.update(system.identifiers)
            for table in system.tables:
                if table.key.identifier:
                    kinds.add(table.key.identifier)
                kinds.update(table.identifiers)
            if system.s3 is not None:
                kinds.update(re.findall(r"\{([a-z][a-z0-9_]*)\}", system.s3.prefix))
        return kinds
