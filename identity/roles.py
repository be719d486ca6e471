"""Validation and storage form of role sets."""

from __future__ import annotations

from collections.abc import Iterable

from identity.caller import KNOWN_ROLES
from identity.errors import InvalidInputError, UnknownRoleError


def validated_roles(roles: Iterable[str]) -> frozenset[str]:
    cleaned = frozenset(role.strip() for role in roles if role.strip())
    if not cleaned:
        raise InvalidInputError("at least one role is required")
    unknown = sorted(cleaned - KNOWN_ROLES)
    if unknown:
        raise UnknownRoleError(f"unknown role(s): {', '.join(unknown)}")
    return cleaned


def dump_roles(roles: Iterable[str]) -> str:
    return " ".join(sorted(set(roles)))


def load_roles(stored: str) -> frozenset[str]:
    return frozenset(stored.split())


def known_only(roles: Iterable[str]) -> frozenset[str]:
    """Roles an external issuer asserts, minus any trustplane does not know."""
    return frozenset(role for role in roles if role in KNOWN_ROLES)
