"""regorus <-> rego-cpp (regopy): the decision corpus must give identical decisions.

Known differences (regopy 1.5.2): two builtins evaluate to undefined on rego-cpp, so every
case whose decision depends on them differs. Each such case is listed with the builtin that
explains it; the test fails when any other case differs, and when a listed case starts to
agree (so the list stays true).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import regopy

from policies import BundleFiles, RegorusEngine, load_bundle_dir
from tests.policies.corpus import ALL_CASES, Case

CIDR = "net.cidr_contains"
TIME = "time.parse_rfc3339_ns"

KNOWN_DIFFERENCES: dict[str, str] = {
    # admin conditions (rule 9): the allowlist check is undefined, so "not ip_allowed" holds
    "r4_admin_denied_level4": CIDR,
    "r9_admin_allowed": CIDR,
    "r9_admin_denied_role": CIDR,
    "r9_admin_denied_stale_mfa": CIDR,
    "tp_admin_manages_policy": CIDR,
    "tp_admin_denied_stale_mfa": CIDR,
    # auditor engagement (rule 11): the expiry cannot be parsed, so it never counts as active
    "r11_auditor_reads_evidence": TIME,
    "r11_auditor_denied_customer_data": TIME,
    "tp_auditor_reads_audit": TIME,
}

FILES = load_bundle_dir()
REGORUS = RegorusEngine(FILES)


def regopy_decision(files: BundleFiles, query: str, input_document: dict[str, Any]) -> Any:
    interpreter = regopy.Interpreter()
    for path, source in sorted(files.policy_modules().items()):
        interpreter.add_module(path, source)
    interpreter.add_data_json(json.dumps(files.data))
    interpreter.set_input_term(json.dumps(input_document))
    output = str(interpreter.query(f"x = {query}"))
    if output == "undefined":
        return None
    return json.loads(output)["bindings"]["x"]


def test_builtins_named_in_the_list_really_are_undefined_on_regopy() -> None:
    interpreter = regopy.Interpreter()
    assert str(interpreter.query('x = net.cidr_contains("10.0.0.0/8", "10.1.2.3")')) == "undefined"
    assert (
        str(interpreter.query('x = time.parse_rfc3339_ns("2026-01-01T00:00:00Z")')) == "undefined"
    )
    assert "true" in str(interpreter.query('x = startswith("admin:x", "admin:")'))


def test_known_differences_name_corpus_cases() -> None:
    names = {case.name for case in ALL_CASES}
    assert set(KNOWN_DIFFERENCES) <= names


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
def test_engines_agree(case: Case) -> None:
    ours = REGORUS.evaluate(case.query, case.request)
    theirs = regopy_decision(FILES, case.query, case.request)
    assert ours.defined
    if case.name in KNOWN_DIFFERENCES:
        assert ours.value != theirs, (
            f"{case.name} now agrees on both engines: remove it from KNOWN_DIFFERENCES "
            f"({KNOWN_DIFFERENCES[case.name]} may be supported now)"
        )
    else:
        assert ours.value == theirs
