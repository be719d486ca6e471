"""Redaction and the canonical bytes spliced around the sequence number."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import Actor, AuditEventIn, EventType, Origin, Outcome, Target
from audit.canonical import (
    canonical_bytes,
    decode,
    format_time,
    is_plain,
    is_plain_scalar,
    parse_time,
    stored_event,
)
from audit.prepare import prepare
from audit.redaction import Redactor

KEY = b"k" * 32
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


no_nul = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10)
any_text = st.text(st.characters(codec="utf-8"), max_size=10)


@settings(max_examples=150, deadline=None)
@given(
    details=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    seq=st.integers(0, 2**40),
    # NUL is refused in indexed columns (tests/audit/test_http_input_limits.py)
    actor=no_nul.filter(bool),
    kind=any_text,
    roles=st.lists(any_text, max_size=3),
    ip=st.none() | any_text,
    request_id=st.none() | no_nul,
    service=any_text,
    target_type=no_nul,
    target_id=st.none() | no_nul,
    event_type=st.sampled_from(EventType),
    outcome=st.sampled_from(Outcome),
    sensitive=st.sampled_from([["email"], ["email", "ip"], ["request_id", "service"]]),
)
def test_spliced_bytes_are_the_rfc8785_bytes_of_the_stored_event(
    details: dict[str, object],
    seq: int,
    actor: str,
    kind: str,
    roles: list[str],
    ip: str | None,
    request_id: str | None,
    service: str,
    target_type: str,
    target_id: str | None,
    event_type: EventType,
    outcome: Outcome,
    sensitive: list[str],
) -> None:
    """The fixed members are written around ``details`` (ADR 0106): every field of the
    event, any text in it, must still give exactly the RFC 8785 bytes of the document."""
    redactor = Redactor(KEY, sensitive)
    event = AuditEventIn(
        type=event_type,
        outcome=outcome,
        actor=Actor(id=actor, kind=kind, roles=tuple(roles)),
        origin=Origin(ip=ip, request_id=request_id, service=service),
        target=Target(type=target_type, id=target_id),
        details=details,
    )
    moment = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)
    prepared = prepare(event, redactor, moment)
    document = stored_event(event, seq=seq, event_id=prepared.event_id, time=moment)
    document["details"] = redactor.redact(details)
    document["origin"] = redactor.redact(document["origin"])
    assert prepared.canonical(seq) == bytes(rfc8785.dumps(document))
    assert decode(prepared.canonical(seq))["seq"] == seq


def test_lone_surrogates_are_refused() -> None:
    redactor = Redactor(KEY, ["email"])
    for event in (
        AuditEventIn(type=EventType.LOGIN, actor=Actor(id="a\ud800"), target=Target(type="u")),
        AuditEventIn(type=EventType.LOGIN, target=Target(type="u"), details={"x": "\udfff"}),
    ):
        with pytest.raises(ValueError):
            prepare(event, redactor, datetime.now(UTC))


def test_redaction_hashes_sensitive_keys_at_any_depth() -> None:
    redactor = Redactor(KEY, ["Email", "pan", "ip"])
    value = {
        "email": "asha@example.in",
        "nested": [{"PAN": "ABCDE1234F"}, {"other": "kept"}],
        "pan": None,
        "ip": {"v4": "10.0.0.1"},
    }
    out = redactor.redact(value)
    assert out["email"] == redactor.hash_value("asha@example.in")
    assert out["email"].startswith("hmac-sha256:")
    assert len(out["email"]) == 12 + 64
    assert out["nested"][0]["PAN"] == redactor.hash_value("ABCDE1234F")
    assert out["nested"][1] == {"other": "kept"}
    assert out["pan"] is None
    assert out["ip"] == redactor.hash_value({"v4": "10.0.0.1"})
    assert redactor.redact({"email": out["email"]}) == {"email": out["email"]}
    assert Redactor(b"j" * 32, ["email"]).hash_value("x") != redactor.hash_value("x")
    with pytest.raises(ValueError):
        Redactor(b"short", [])


def test_keys_beyond_the_remembered_ones_are_still_redacted() -> None:
    redactor = Redactor(KEY, ["email"])
    many = {f"k{i}": "v" for i in range(5000)}  # more distinct keys than are remembered
    assert redactor.redact(many) == many
    late = {"Email": "asha@example.in", "EMAIL": "x", "ñ": "kept"}
    assert redactor.redact_plain(late) == (
        {
            "Email": redactor.hash_value("asha@example.in"),
            "EMAIL": redactor.hash_value("x"),
            "ñ": "kept",
        },
        False,  # a non-ASCII key: JCS and Python may sort it differently
    )


def test_keys_of_str_subclasses_count_as_strings() -> None:
    redactor = Redactor(KEY, ["email"])
    assert redactor.redact_plain({EventType.LOGIN: "x", Outcome.SUCCESS: 1}) == (
        {"login": "x", "success": 1},
        True,
    )


def test_origin_ip_is_redacted_when_ip_is_sensitive() -> None:
    redactor = Redactor(KEY, ["ip"])
    event = AuditEventIn(
        type=EventType.LOGIN, origin=Origin(ip="10.1.2.3"), target=Target(type="user")
    )
    prepared = prepare(event, redactor, datetime.now(UTC))
    assert b"10.1.2.3" not in prepared.canonical(0)


def test_times() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert format_time(moment) == "2026-01-02T03:04:05.000006Z"
    assert parse_time(format_time(moment)) == moment
    with pytest.raises(ValueError):
        format_time(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        decode(b"[1]")
    assert canonical_bytes({"b": 1, "a": 2}) == b'{"a":2,"b":1}'


def test_in_memory_log_for_other_rooms_unit_tests() -> None:
    from audit import AuditRecorder, AuditUnavailableError, InMemoryAuditLog

    log = InMemoryAuditLog()
    assert isinstance(log, AuditRecorder)
    event = AuditEventIn(type=EventType.ADMIN_ACTION, target=Target(type="user", id="u-1"))
    assert log.record(event).seq == 0
    assert [r.seq for r in log.record_many([event, event])] == [1, 2]
    log.fail = True
    with pytest.raises(AuditUnavailableError):
        log.record(event)
    assert len(log.events) == 3


def json_trees(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """JSON-like values of every kind (floats and big integers too), objects keyed by ``keys``."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**60), 2**60)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=6),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=12,
    )


any_json = json_trees(st.text(max_size=4))


@settings(max_examples=50, deadline=None)
@given(any_json)
def test_fast_canonical_form_equals_rfc8785(value: Any) -> None:
    try:
        expected = bytes(rfc8785.dumps(value))
    except Exception:
        with pytest.raises(Exception):
            canonical_bytes(value)
        return
    assert canonical_bytes(value) == expected


def test_fast_canonical_form_edge_cases() -> None:
    for value in (
        {"\U0001f600": 1, "\uffff": 2},
        {"a": 1.0, "b": 1e21},
        'a\x01\x1f\x7f\u2028"\\\b\f',
        [2**53 - 1, -(2**53) + 1, True, None],
    ):
        assert canonical_bytes(value) == bytes(rfc8785.dumps(value))
    with pytest.raises(Exception):
        canonical_bytes(2**53)
    with pytest.raises(Exception):
        canonical_bytes("\ud800")


@settings(max_examples=400, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=1e-5, max_value=1e17)
    | st.floats(min_value=-1e17, max_value=-1e-5)
    | st.integers(-(2**54), 2**54).map(float)
    | st.integers(-(2**54), 2**54).map(lambda n: n / 1000)
)
def test_a_float_is_plain_only_when_its_repr_is_the_ecmascript_form(value: float) -> None:
    expected = bytes(rfc8785.dumps(value))
    assert canonical_bytes(value) == expected
    if is_plain_scalar(value):
        assert json.dumps(value).encode() == expected


def test_plain_float_boundaries() -> None:
    plain = [1e-4, -1e-4, 0.5, 0.123, 1234.5678, 0.1 + 0.2, 1234567890123456.8]
    other = [9.999999999999999e-05, 1e-7, 1e16, 2.5e16, 1e21, 2.0, -0.0, 0.0]
    other += [float("nan"), float("inf"), float("-inf")]
    assert all(is_plain_scalar(value) for value in plain)
    assert not any(is_plain_scalar(value) for value in other)
    for value in plain + other[:8]:
        assert canonical_bytes({"x": value}) == bytes(rfc8785.dumps({"x": value})), value


keyed_json = json_trees(st.sampled_from(["email", "EMAIL", "x", "é", "seq"]))


@settings(max_examples=80, deadline=None)
@given(keyed_json)
def test_one_walk_redaction_agrees_with_a_plain_recursive_reading(value: Any) -> None:
    redactor = Redactor(KEY, ["email"])

    def entry(key: Any, item: Any) -> Any:
        if item is None or str(key).lower() != "email":
            return reference(item)
        if isinstance(item, str) and item.startswith("hmac-sha256:"):
            return item  # already redacted upstream
        return redactor.hash_value(item)  # the whole original value, whatever it holds

    def reference(node: Any) -> Any:  # the rule as the docs state it, naively recursive
        if isinstance(node, dict):
            return {key: entry(key, item) for key, item in node.items()}
        if isinstance(node, list | tuple):
            return [reference(item) for item in node]
        return node

    try:
        expected = reference(value)
    except Exception:
        with pytest.raises(Exception):
            redactor.redact_plain(value)
        return
    assert redactor.redact_plain(value) == (expected, is_plain(expected))
    assert redactor.redact(value) == expected


def test_seq_is_spliced_at_the_top_level_only() -> None:
    redactor = Redactor(KEY, ["email", "ip", "request_id"])
    event = AuditEventIn(
        type=EventType.DECISION,
        origin=Origin(ip="10.0.0.1", request_id=',"seq":0,'),
        target=Target(type="customer", id=',"seq":0,'),
        details={"seq": 0, "nested": {"a": 1, "seq": 0, "z": ',"seq":0,'}},
    )
    moment = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
    prepared = prepare(event, redactor, moment)
    document = stored_event(event, seq=41, event_id=prepared.event_id, time=moment)
    document["origin"] = redactor.redact(document["origin"])
    assert document["origin"]["ip"].startswith("hmac-sha256:")
    assert prepared.canonical(41) == bytes(rfc8785.dumps(document))
