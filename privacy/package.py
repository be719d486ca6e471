"""Access packages (a zip: data.json, report.html, manifest.json) and erasure certificates."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_ENV = Environment(
    loader=PackageLoader("privacy", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    keep_trailing_newline=True,
)
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _by_category(rows: list[dict[str, Any]], categories: Mapping[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    columns = list(rows[0].keys()) if rows else list(categories)
    for column in columns:
        grouped.setdefault(categories.get(column, "reference"), []).append(column)
    return grouped


def build_package(
    meta: Mapping[str, Any],
    data: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    categories: Mapping[str, Mapping[str, Mapping[str, str]]],
) -> bytes:
    """The zip's bytes; the same inputs give the same bytes (fixed timestamps and order)."""
    data_json = json.dumps(
        {"request": dict(meta), "systems": data}, indent=2, sort_keys=True, default=str
    ).encode()
    systems = {
        system: {
            table: {
                "rows": rows,
                "by_category": _by_category(rows, categories.get(system, {}).get(table, {})),
            }
            for table, rows in tables.items()
        }
        for system, tables in data.items()
    }
    report = (
        _ENV.get_template("report.html.j2")
        .render(
            organisation=meta.get("organisation") or "FinSolve",
            request_id=meta["id"],
            request_type=meta["type"],
            generated_at=meta["generated_at"],
            systems=systems,
        )
        .encode()
    )
    files = {"data.json": data_json, "report.html": report}
    manifest = {
        "request_id": meta["id"],
        "files": {name: hashlib.sha256(body).hexdigest() for name, body in files.items()},
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, body)
    return buffer.getvalue()


def render_certificate(certificate: Mapping[str, Any]) -> str:
    return _ENV.get_template("certificate.html.j2").render(cert=certificate)
