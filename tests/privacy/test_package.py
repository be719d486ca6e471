"""Access packages: deterministic, hashed, and the HTML report escapes what it shows."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from privacy import build_package, render_certificate

META = {"id": "r-1", "type": "access", "generated_at": "2026-12-04T00:00:00+00:00"}


def test_report_escapes_and_manifest_hashes() -> None:
    data = {"crm": {"notes": [{"text": "<script>alert(1)</script>", "email": "a@b.in"}]}}
    categories = {"crm": {"notes": {"text": "behavioural", "email": "contact"}}}
    content = build_package(META, data, categories)
    archive = zipfile.ZipFile(io.BytesIO(content))
    report = archive.read("report.html").decode()
    assert "<script>alert" not in report
    assert "&lt;script&gt;" in report
    manifest = json.loads(archive.read("manifest.json"))
    for name in ("data.json", "report.html"):
        assert manifest["files"][name] == hashlib.sha256(archive.read(name)).hexdigest()
    assert build_package(META, data, categories) == content  # same input, same bytes
    certificate = render_certificate(
        {"request_id": "r-1", "received_at": "x", "completed_at": "y", "approved_by": "<b>",
         "fields": [], "manual": [], "shredded": {"keys_destroyed": 0, "subjects": 0},
         "audit_seqs": [1, 2]}
    )  # fmt: skip
    assert "<b>" not in certificate


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10),
        st.lists(
            st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3), max_size=3
        ),
        max_size=3,
    )
)
def test_data_json_round_trips(tables: dict[str, list[dict[str, str]]]) -> None:
    content = build_package(META, {"sys": tables}, {})
    data = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("data.json"))
    assert data["systems"]["sys"] == tables
