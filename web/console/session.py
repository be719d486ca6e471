"""Who is signed in to the console, what they may open, and the CSRF check of every form.

The console reads the same ``tp_session`` cookie as the API (identity's sessions: idle and
absolute lifetimes from settings). A page that needs a sign-in sends the browser to the
sign-in page; a page outside the caller's role is the 403 page. Every state-changing form
carries the session's CSRF token in a hidden field, compared in constant time.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from identity import AuthenticationError, Caller
from web.deps import SESSION_COOKIE, Services, ServicesDep, client_ip, run_short
from web.errors import RateLimitedError
from web.gate import NavigationGate

CSRF_FIELD = "csrf_token"
Result = TypeVar("Result")
PASSWORD_PAGE = "/console/password"
OPEN_WITH_ONE_TIME_PASSWORD = frozenset({PASSWORD_PAGE, "/console/logout"})


class SignInRequiredError(Exception):
    """No live session: the browser goes to the sign-in page."""


class PasswordChangeRequiredError(Exception):
    """A session still on its one-time password: every page but the change is closed."""


class PageForbiddenError(Exception):
    """The decision point does not let the caller's role open this page (the 403 page)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("not allowed")
        self.reasons = reasons


class FormRefusedError(Exception):
    """A form without the session's CSRF token (missing, or another session's)."""


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    action: str
    resource: str


NAVIGATION = (
    NavItem("Posture", "/console/posture", "controls:read", "control"),
    NavItem("Decisions", "/console/decisions", "policy:read", "policy"),
    NavItem("Keys", "/console/keys", "evidence:read", "key"),
    NavItem("Audit log", "/console/audit", "audit:read", "audit_log"),
    NavItem("DPO desk", "/console/dpo", "dsr:read", "data_subject_request"),
    NavItem("Auditor portal", "/console/auditor", "reports:read", "report"),
)


@dataclass
class Console:
    """One request's view: the caller, what the gate lets it open, and its services."""

    request: Request
    caller: Caller
    services: Services
    decided: dict[tuple[str, str], bool] = field(default_factory=dict)

    async def may(self, action: str, resource: str) -> bool:
        key = (action, resource)
        if key not in self.decided:
            gate = self.services.gate
            context: Mapping[str, str] = {
                "ip": client_ip(self.request),
                "method": self.request.method,
                "path": self.request.url.path,
            }
            decision = await run_short(
                not gate.blocking, gate.check, self.caller, action, resource, context
            )
            self.decided[key] = decision.allow
            if not decision.allow:
                self.request.state.console_reasons = decision.reasons
        return self.decided[key]

    async def require(self, action: str, resource: str) -> None:
        if not await self.may(action, resource):
            raise PageForbiddenError(getattr(self.request.state, "console_reasons", []))

    async def gated(
        self, action: str, resource: str, read: Callable[..., Result], *args: Any
    ) -> Result:
        """``read(*args)`` (a read without side effects, in the threadpool) while the page's
        own decision is made and logged (ADR 0842); its result is returned only once that
        decision allowed, else it is dropped and the 403 page follows."""
        reading = asyncio.ensure_future(run_in_threadpool(read, *args))
        try:
            await self.require(action, resource)
        except BaseException:
            reading.add_done_callback(_dropped)
            raise
        return await reading

    async def held(self, wanted: list[tuple[str, str]]) -> list[bool]:
        """Which (action, resource) pairs the caller's role set holds (ADR 0841): one cached
        question to the decision point, unlogged; without a ``NavigationGate``, the gate's
        own (logged) decision for each."""
        gate = self.services.gate
        if not isinstance(gate, NavigationGate):
            return [await self.may(action, resource) for action, resource in wanted]
        return await run_short(not gate.blocking, gate.visible, self.caller, wanted)

    async def holds(self, action: str, resource: str) -> bool:
        """May the page offer this act (a button, a link)? The act's own route still checks
        and logs its decision when it is used."""
        return (await self.held([(action, resource)]))[0]

    async def navigation(self) -> list[NavItem]:
        """The pages the caller's role set holds; each page checks (and logs) its opening."""
        shown = await self.held([(item.action, item.resource) for item in NAVIGATION])
        return [item for item, visible in zip(NAVIGATION, shown, strict=True) if visible]

    async def form(self) -> FormData:
        """The posted form, once its CSRF token matched the session's."""
        form = await self.request.form()
        sent = form.get(CSRF_FIELD)
        expected = self.caller.csrf_token
        if not isinstance(sent, str) or not sent or expected is None:
            raise FormRefusedError()
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise FormRefusedError()
        return form


def _dropped(reading: asyncio.Future[Any]) -> None:
    """A read whose page was refused: its result (or error) is never looked at."""
    if not reading.cancelled():
        reading.exception()


async def signed_in(request: Request, services: ServicesDep) -> Caller:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequiredError()
    try:
        caller = await run_in_threadpool(services.authenticator.authenticate_session, token)
    except AuthenticationError:
        raise SignInRequiredError() from None
    retry_after = services.limiter.acquire(f"caller:{caller.id}")
    if retry_after > 0:
        raise RateLimitedError(retry_after)
    request.state.caller = caller
    if caller.must_change_password and request.url.path not in OPEN_WITH_ONE_TIME_PASSWORD:
        raise PasswordChangeRequiredError()
    return caller


async def console_of(
    request: Request, services: ServicesDep, caller: Annotated[Caller, Depends(signed_in)]
) -> Console:
    return Console(request, caller, services)


ConsoleDep = Annotated[Console, Depends(console_of)]
