"""What a new password must be: pure rules, no I/O (the change flow applies them)."""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 1024


def password_problem(new: str, current: str, email: str) -> str | None:
    """Why ``new`` is refused, or None when it is acceptable.

    At least 12 characters (NIST SP 800-63B asks for 8 at least; the seed's policy is
    stricter), at most 1024, not the current password, and not the account's email address
    (nor its local part) whatever the case.
    """
    if len(new) < MIN_LENGTH:
        return f"the new password needs at least {MIN_LENGTH} characters"
    if len(new) > MAX_LENGTH:
        return f"the new password may have at most {MAX_LENGTH} characters"
    if not new.strip():
        return "the new password cannot be only spaces"
    if new == current:
        return "the new password must differ from the current one"
    folded = new.strip().casefold()
    address = email.casefold()
    if folded in {address, address.partition("@")[0]}:
        return "the new password cannot be the account's email address"
    return None
