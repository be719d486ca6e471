"""Event ids and redaction HMACs computed without GIL-releasing calls stay what they were."""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import uuid

from hypothesis import given
from hypothesis import strategies as st

from audit.ids import new_event_id
from audit.redaction import PREFIX, Redactor


@given(
    key=st.binary(min_size=16, max_size=200),  # below, at and above the 64-byte block
    value=st.text() | st.binary().map(lambda b: b.hex()),
)
def test_redaction_hmac_equals_the_standard_library(key: bytes, value: str) -> None:
    expected = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    assert Redactor(key, ()).hash_value(value) == PREFIX + expected


def test_redaction_hmac_of_a_json_value_hashes_its_canonical_bytes() -> None:
    key = bytes(range(64))
    expected = hmac.new(key, b'{"a":[1,true,null]}', hashlib.sha256).hexdigest()
    assert Redactor(key, ()).hash_value({"a": [1, True, None]}) == PREFIX + expected


def test_event_ids_are_version_4_uuids_and_unique() -> None:
    ids = [new_event_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:500]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # every random bit is used: all 16 hex digits show up at a random position
    assert {text[0] for text in ids} == set("0123456789abcdef")


def test_a_forked_child_does_not_repeat_the_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        os.write(write, "".join(new_event_id() for _ in range(4)).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 4096).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = "".join(new_event_id() for _ in range(4))
    assert len(child) == len(parent) == 4 * 36
    assert child != parent


def test_seeding_the_shared_random_generator_does_not_repeat_ids() -> None:
    # hypothesis (and schemathesis) seed the `random` module for every example
    state = random.getstate()
    try:
        random.seed(0)
        first = new_event_id()
        random.seed(0)
        assert new_event_id() != first
    finally:
        random.setstate(state)
