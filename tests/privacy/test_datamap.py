"""The data map loader: every problem names its line and key; the shipped map is valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy import DataMapError, parse_datamap

SHIPPED = Path(__file__).resolve().parents[2] / "privacy" / "datamap" / "finsolve.yaml"

GOOD = """\
systems:
  - name: core
    kind: sql
    url: sqlite:///x.db
    tables:
      - name: customers
        key: {column: email, identifier: email}
        fields:
          - {column: email, category: contact, classification: 3}
      - name: orders
        key: {column: customer_id, via: customers.id}
        on_erasure: {action: retain, reason: "tax law: 8 years", until: "order_date + 8y"}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        parse_datamap(text)
    return caught.value.problems


def test_the_shipped_map_is_valid() -> None:
    loaded = parse_datamap(SHIPPED.read_text())
    assert {s.name for s in loaded.datamap.systems} == {"core_banking", "support_desk"}
    assert loaded.datamap.identifier_kinds() >= {"email", "phone", "customer_id"}
    assert len(loaded.sha256) == 64


def test_good_map() -> None:
    table = parse_datamap(GOOD).datamap.systems[0].tables[1]
    assert table.on_erasure.reason == "tax law: 8 years"


def test_unknown_category_names_line_and_key() -> None:
    problems = _problems(GOOD.replace("category: contact", "category: contacts"))
    assert len(problems) == 1
    assert problems[0].startswith("line 9, systems[0].tables[0].fields[0].category:")


def test_unknown_key_and_sql_looking_names() -> None:
    problems = _problems(GOOD.replace("name: orders", "name: orders; DROP TABLE x"))
    assert problems[0].startswith("line 10, systems[0].tables[1].name:")
    problems = _problems(GOOD.replace("column: email, category", 'column: "email--", category'))
    assert "fields[0].column" in problems[0]
    problems = _problems(GOOD.replace("kind: sql", "kind: sql\n    colour: blue"))
    assert problems[0].startswith("line 4, systems[0].colour: Extra inputs")


def test_unknown_via_table_and_retain_without_reason() -> None:
    problems = _problems(GOOD.replace("via: customers.id", "via: clients.id"))
    assert problems == ["line 11, systems[0].tables[1].key.via: unknown table 'clients' in core"]
    problems = _problems(GOOD.replace('reason: "tax law: 8 years", ', ""))
    assert "line 12, systems[0].tables[1].on_erasure" in problems[0]
    assert "reason" in problems[0]


def test_shred_needs_encryption_and_passwords_stay_out() -> None:
    shred = GOOD.replace("classification: 3}", "classification: 3, on_erasure: shred}")
    assert "encrypted fields only" in _problems(shred)[0]
    inline = GOOD.replace("sqlite:///x.db", "postgresql://dsr:hunter2@db/core")
    problems = _problems(inline)
    assert "environment" in problems[0]
    assert "hunter2" not in " ".join(problems)
    parse_datamap(GOOD.replace("sqlite:///x.db", "postgresql://dsr:${CORE_PW}@db/core"))


def test_yaml_syntax_error_has_a_line() -> None:
    problems = _problems(GOOD.replace("kind: sql", "kind: [sql"))
    assert problems[0].startswith("line ")


@given(st.text(max_size=200))
def test_any_text_is_a_map_or_a_data_map_error(text: str) -> None:
    try:
        parse_datamap(text)
    except DataMapError as exc:
        problems = exc.problems
    else:
        return
    assert problems
