"""The lockout answer does not tell which email addresses have accounts (issue 15, item 9).

Before, only a real account ever answered "account temporarily locked": six wrong tries
against an address told an attacker whether it had an account.
"""

from __future__ import annotations

import pytest

from identity import AccountLockedError, AuthenticationError, IdentityService
from tests.identity.conftest import FakeClock, Human


def answers(service: IdentityService, email: str, tries: int) -> list[tuple[str, int | None]]:
    seen: list[tuple[str, int | None]] = []
    for _ in range(tries):
        try:
            service.login(email, "wrong password", "000000")
        except AccountLockedError as exc:
            seen.append((str(exc), exc.retry_after))
        except AuthenticationError as exc:
            seen.append((str(exc), None))
    return seen


@pytest.mark.parametrize("unknown", ["nobody@finsolve.example", "NoBody@FinSolve.example "])
def test_unknown_and_real_accounts_answer_alike(
    service: IdentityService, human: Human, clock: FakeClock, unknown: str
) -> None:
    real = answers(service, human.account.email, 5)
    phantom = answers(service, unknown, 5)
    assert real == phantom
    assert real[-1][0] == "account temporarily locked"  # the threshold (3 in these tests) hit
    assert real[-1][1] is not None


def test_a_phantom_lock_lifts_after_the_lockout_time(
    service: IdentityService, clock: FakeClock
) -> None:
    email = "ghost@finsolve.example"
    locked = answers(service, email, 4)[-1]
    assert locked[0] == "account temporarily locked"
    clock.advance(int(locked[1] or 0) + 1)
    assert answers(service, email, 1) == [("invalid email, password or one-time code", None)]
