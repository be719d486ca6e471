"""Records of processing activities (GDPR Art. 30(1)) generated from the data map.

One activity per SQL table and per other system: purposes, categories of data and of
principals, recipients, transfers outside India / the EEA with their safeguard, retention,
and the security measures: encrypted fields, and the catalog controls that protect the system
with their current status (handed in by the caller: privacy does not import controls).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from privacy.datamap_model import DataMap, Processing, SystemSpec, TableSpec

ControlStatus = Callable[[str], str]  # control id -> pass | fail | no_evidence | unknown
_ENV = Environment(
    loader=PackageLoader("privacy", "templates"), autoescape=select_autoescape(["html", "j2"])
)


@dataclass(frozen=True)
class Measure:
    control: str
    status: str


@dataclass(frozen=True)
class Activity:
    system: str
    kind: str
    activity: str
    purpose: str
    legal_basis: str
    principals: str
    data_categories: list[str]
    recipients: list[str]
    transfers: list[dict[str, str]]
    retention: str
    region: str
    encrypted_fields: list[str]
    measures: list[Measure]


def _activity(
    system: SystemSpec, table: TableSpec | None, processing: Processing, status: ControlStatus
) -> Activity:
    categories = (
        sorted({f.category.value for f in table.fields})
        if table is not None
        else ([system.s3.category.value] if system.s3 is not None else [])
    )
    return Activity(
        system=system.name,
        kind=system.kind,
        activity=f"{system.name}.{table.name}" if table is not None else system.name,
        purpose=(table.purpose if table is not None else system.purpose) or "not stated",
        legal_basis=(table.legal_basis if table is not None else "") or "not stated",
        principals=processing.principals,
        data_categories=categories,
        recipients=list(processing.recipients),
        transfers=[t.model_dump() for t in processing.transfers],
        retention=(table.retention if table is not None else system.retention) or "not stated",
        region=system.region,
        encrypted_fields=sorted(f.column for f in table.fields if f.encrypted) if table else [],
        measures=[Measure(control, status(control)) for control in system.controls],
    )


def build_ropa(datamap: DataMap, status: ControlStatus) -> list[Activity]:
    activities: list[Activity] = []
    for system in datamap.systems:
        if system.tables:
            activities += [_activity(system, t, t.processing, status) for t in system.tables]
        else:
            activities.append(_activity(system, None, system.processing, status))
    return activities


CSV_COLUMNS = (
    "system", "kind", "activity", "purpose", "legal_basis", "principals", "data_categories",
    "recipients", "transfers", "retention", "region", "encrypted_fields", "measures",
)  # fmt: skip


def ropa_csv(activities: list[Activity]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in activities:
        row = asdict(item)
        row["data_categories"] = "; ".join(item.data_categories)
        row["recipients"] = "; ".join(item.recipients)
        row["transfers"] = "; ".join(
            f"{t['country']}: {t['recipient']} ({t['safeguard']})" for t in item.transfers
        )
        row["encrypted_fields"] = "; ".join(item.encrypted_fields)
        row["measures"] = "; ".join(f"{m.control} {m.status}" for m in item.measures)
        writer.writerow([_cell(str(row[column])) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(text: str) -> str:
    """No spreadsheet formula injection (OWASP CSV injection)."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def ropa_html(activities: list[Activity], organisation: str) -> str:
    return _ENV.get_template("ropa.html.j2").render(
        activities=activities, organisation=organisation or "the controller"
    )
