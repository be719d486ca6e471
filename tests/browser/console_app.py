"""A real trustplane seeded by the demo, with one user per console persona.

Shared by the console's HTTP tests (``tests/web/test_console*.py``) and its browser journeys
(``tests/browser``): the real container (identity, policies with the engine gate, vault,
controls, privacy, reports) over a migrated SQLite file, the demo's week of collections and
its data subject requests, and users who sign in with password + TOTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from audit import SYSTEM_ACTOR
from identity import IdentityService, NewUser
from identity.totp import code_at
from reports import Requester, Window
from tests.identity.conftest import totp_secret_of
from tests.web.realapp import CHEAP_ARGON2
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.db import make_engine
from trustplane.demo.clock import SeedingClock
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

PERSONAS = {
    "security": ("analyst@finsolve.example", ["security"]),
    "dpo": ("dpo@finsolve.example", ["dpo"]),
    "auditor": ("auditor@grc.example", ["auditor"]),
    "admin": ("root@finsolve.example", ["admin"]),
    "engineer": ("eng@finsolve.example", ["engineer"]),  # a FinSolve role: no console page
}
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
TOTP_STEP = 30
SETUP = Requester(id="setup", kind="user", roles=frozenset({"admin"}))


def ENGAGEMENT() -> datetime:
    return datetime.now(UTC) + timedelta(days=30)


def scope_window() -> Window:
    """The auditors' engagement: the demo's week, and no further back than 60 days."""
    now = datetime.now(UTC)
    return Window(now - timedelta(days=60), now + timedelta(days=1))


@dataclass
class ConsoleApp:
    app: FastAPI
    container: Container
    users: dict[str, NewUser]
    used_steps: dict[str, int] = field(default_factory=dict)

    def new_user(self, persona: str, *, one_time_password: bool = False) -> str:
        """Another user with ``persona``'s roles (TOTP lets one user sign in a few times a
        minute: each code once, within one step of drift); returns its key in ``users``.

        The user has already changed its one-time password (through identity's own change,
        as it would at first sign-in) unless ``one_time_password``."""
        identity = self.container.authenticator
        assert isinstance(identity, IdentityService)
        key = f"{persona}-{len(self.users)}"
        email, roles = PERSONAS[persona]
        local, domain = email.split("@")
        created = identity.create_user(
            f"{local}+{len(self.users)}@{domain}",
            roles,
            SYSTEM_ACTOR,
            engagement_expires_at=ENGAGEMENT() if "auditor" in roles else None,
        )
        if not one_time_password:
            chosen = f"{persona} chose this password {len(self.users)}"
            identity.change_password_of(created.email, created.password, chosen)
            created = replace(created, password=chosen)
        self.users[key] = created
        if "auditor" in roles:
            self.container.reports.set_scope(
                self.users[key].user_id, self.container.reports.frameworks, scope_window(), SETUP
            )
        return key

    def totp(self, persona: str) -> str:
        """A fresh code (a code is accepted once: the next login uses the next step)."""
        now = datetime.now(UTC)
        step = int(now.timestamp()) // TOTP_STEP
        step = max(step, self.used_steps.get(persona, step - 1) + 1)
        self.used_steps[persona] = step
        moment = datetime.fromtimestamp(step * TOTP_STEP, UTC)
        return code_at(totp_secret_of(self.users[persona].totp_uri), moment)

    def credentials(self, persona: str) -> dict[str, str]:
        user = self.users[persona]
        return {"email": user.email, "password": user.password, "totp": self.totp(persona)}


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(
    client: httpx.Client | Any, console: ConsoleApp, persona: str, *, fresh: bool = True
) -> str:
    """Sign in through the form (as a new user of ``persona`` unless ``fresh`` is False);
    returns the session's CSRF token (read from the page signed in to)."""
    if fresh:
        persona = console.new_user(persona)
    form = client.get("/console/login")
    assert form.status_code == 200, form.text
    response = client.post(
        "/console/login",
        data={**console.credentials(persona), "csrf_token": csrf_of(form.text)},
        follow_redirects=True,
    )
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


FIRST_ADMIN = "first-admin"


def demo_admin(identity: IdentityService, printed: list[str]) -> NewUser:
    """The first admin, from the lines the demo prints (as a person reads them)."""

    def after(label: str) -> str:
        return next(line.split(label, 1)[1].strip() for line in printed if label in line)

    email = after("demo admin:")
    return NewUser(
        user_id=identity.accounts.user_id_of(email),
        email=email,
        roles=frozenset({"admin", "security"}),
        password=after("one-time password:"),
        totp_uri=after("TOTP provisioning URI:"),
    )


def build_console_app(data_dir: Path, **overrides: Any) -> ConsoleApp:
    engine = make_engine(f"sqlite:///{data_dir / 'trustplane.db'}")
    upgrade(engine)
    settings = Settings.model_validate(
        {
            "data_dir": data_dir,
            "identity": CHEAP_ARGON2,
            "web": {"cookie_secure": False},
            **overrides,
        }
    )
    container = build_container(settings, engine, demo_clock=SeedingClock())
    printed = [line for seeder in container.demo_seeders for line in seeder()]
    identity = container.authenticator
    assert isinstance(identity, IdentityService)
    console = ConsoleApp(create_app(settings, container), container, {})
    console.users[FIRST_ADMIN] = demo_admin(identity, printed)
    for persona in PERSONAS:
        console.users[persona] = console.users.pop(console.new_user(persona))
    return console
