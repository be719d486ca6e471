"""FastAPI dependencies, as ``Annotated`` aliases, in one place.

Routers write ``caller: CallerDep`` to require an authenticated caller and
``Depends(require("audit:read", "audit_log"))`` (or ``dependencies=[...]``) to gate a route.
A router names the room services it uses through one alias per service (``IdentityDep``,
``AuditLogDep``, ``VaultDep``, ``PolicyRoomDep``, ``ControlsDep``, ...), so its signature
says what it reaches and mypy follows a request from the route into the room.

The composition root hands the app a ``Services`` value (``install_services``): the web
layer never imports ``trustplane``; ``trustplane.container.Container`` satisfies the
protocol and mypy checks it where the app is built.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Protocol, TypeVar

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool

from audit import AuditLog
from controls import ControlsService
from identity import Caller, CsrfError, IdentityService
from policies import PolicyRoom
from privacy import BreachRegister, ConsentLedger, DsrService, GrievanceDesk
from reports import ReportsService
from vault import VaultServices
from web.errors import ForbiddenError, NotAuthenticatedError, RateLimitedError
from web.gate import AdmittingGate, RouteGate
from web.metrics import Metrics
from web.ratelimit import BlindIndexGuard, LoginGuard, TokenBucketLimiter

Result = TypeVar("Result")

SESSION_COOKIE = "tp_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PERMISSION_ATTRIBUTE = "required_permission"


class CallerAuthenticator(Protocol):
    """What the web layer needs from the identity room."""

    def authenticate_bearer(self, token: str) -> Caller: ...

    def bearer_needs_io(self, token: str) -> bool:
        """False when checking ``token`` is CPU work only (a token this service issued)."""
        ...

    def authenticate_session(self, session_token: str) -> Caller: ...


ReadinessCheck = tuple[str, Callable[[], None]]


class Services(Protocol):
    """The room services and web parts one app serves (built once by the composition root)."""

    @property
    def authenticator(self) -> CallerAuthenticator: ...

    @property
    def gate(self) -> RouteGate: ...

    @property
    def limiter(self) -> TokenBucketLimiter: ...

    @property
    def login_guard(self) -> LoginGuard: ...

    @property
    def blind_index_guard(self) -> BlindIndexGuard: ...

    @property
    def metrics(self) -> Metrics: ...

    @property
    def identity(self) -> IdentityService: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def vault(self) -> VaultServices: ...

    @property
    def policies(self) -> PolicyRoom: ...

    @property
    def controls(self) -> ControlsService: ...

    @property
    def privacy(self) -> DsrService: ...

    @property
    def consents(self) -> ConsentLedger: ...

    @property
    def breaches(self) -> BreachRegister: ...

    @property
    def grievances(self) -> GrievanceDesk: ...

    @property
    def dsr_intake_limiter(self) -> TokenBucketLimiter: ...

    @property
    def reports(self) -> ReportsService: ...

    @property
    def cookie_secure(self) -> bool: ...

    @property
    def key_cryptoperiod_days(self) -> int:
        """How old a key-encryption key may grow before it is due for rotation."""
        ...

    def readiness_checks(self) -> Sequence[ReadinessCheck]: ...


def install_services(app: FastAPI, services: Services) -> None:
    """The one place an app receives its services (every dependency below reads them)."""
    app.state.services = services


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_identity(services: ServicesDep) -> IdentityService:
    return services.identity


async def get_audit_log(services: ServicesDep) -> AuditLog:
    return services.audit


async def get_vault(services: ServicesDep) -> VaultServices:
    return services.vault


async def get_policy_room(services: ServicesDep) -> PolicyRoom:
    return services.policies


async def get_controls(services: ServicesDep) -> ControlsService:
    return services.controls


async def get_privacy(services: ServicesDep) -> DsrService:
    return services.privacy


async def get_consents(services: ServicesDep) -> ConsentLedger:
    return services.consents


async def get_breaches(services: ServicesDep) -> BreachRegister:
    return services.breaches


async def get_grievances(services: ServicesDep) -> GrievanceDesk:
    return services.grievances


async def get_dsr_intake_limiter(services: ServicesDep) -> TokenBucketLimiter:
    return services.dsr_intake_limiter


async def get_reports(services: ServicesDep) -> ReportsService:
    return services.reports


async def get_metrics(services: ServicesDep) -> Metrics:
    return services.metrics


async def get_login_guard(services: ServicesDep) -> LoginGuard:
    return services.login_guard


async def get_blind_index_guard(services: ServicesDep) -> BlindIndexGuard:
    return services.blind_index_guard


IdentityDep = Annotated[IdentityService, Depends(get_identity)]
AuditLogDep = Annotated[AuditLog, Depends(get_audit_log)]
VaultDep = Annotated[VaultServices, Depends(get_vault)]
PolicyRoomDep = Annotated[PolicyRoom, Depends(get_policy_room)]
ControlsDep = Annotated[ControlsService, Depends(get_controls)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ReportsDep = Annotated[ReportsService, Depends(get_reports)]
PrivacyDep = Annotated[DsrService, Depends(get_privacy)]
ConsentsDep = Annotated[ConsentLedger, Depends(get_consents)]
BreachesDep = Annotated[BreachRegister, Depends(get_breaches)]
GrievancesDep = Annotated[GrievanceDesk, Depends(get_grievances)]
DsrIntakeLimiterDep = Annotated[TokenBucketLimiter, Depends(get_dsr_intake_limiter)]
LoginGuardDep = Annotated[LoginGuard, Depends(get_login_guard)]
BlindIndexGuardDep = Annotated[BlindIndexGuard, Depends(get_blind_index_guard)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _credentials(request: Request, services: Services) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return services.authenticator.authenticate_bearer(token.strip())
    if header:
        raise NotAuthenticatedError("unsupported Authorization scheme; use Bearer")
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        caller = services.authenticator.authenticate_session(session_token)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER)
            if not sent or caller.csrf_token is None or not _same(sent, caller.csrf_token):
                raise CsrfError("missing or invalid CSRF token for a cookie-authenticated request")
        return caller
    raise NotAuthenticatedError("authentication required")


def _same(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())


async def run_short(inline: bool, work: Callable[..., Result], *args: Any) -> Result:
    """``work(*args)`` on the event loop when ``inline`` (CPU work well under a millisecond,
    cheaper than a threadpool hop), else in the threadpool (work that may wait on I/O).
    The one place the web layer makes that choice (ADR 0007)."""
    if inline:
        return work(*args)
    return await run_in_threadpool(work, *args)


def _verifiable_inline(request: Request, services: Services) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and not services.authenticator.bearer_needs_io(token.strip())


async def current_caller(request: Request, services: ServicesDep) -> Caller:
    """The authenticated caller, rate limited; raises 401/429 problems otherwise.

    A token this service issued is checked on the event loop: a signature check costs less
    than the hop to a worker thread and back (ADR 0007). Sessions (a database read) and
    tokens of external issuers (whose keys may need fetching) are checked in the threadpool.
    """
    caller = await run_short(_verifiable_inline(request, services), _credentials, request, services)
    retry_after = services.limiter.acquire(f"caller:{caller.id}")
    if retry_after > 0:
        raise RateLimitedError(retry_after)
    request.state.caller = caller
    structlog.contextvars.bind_contextvars(caller_id=caller.id, caller_kind=caller.kind.value)
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def require(action: str, resource_type: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency that admits the caller only when the route gate allows the action."""

    async def dependency(request: Request, caller: CallerDep, services: ServicesDep) -> Caller:
        context = {"ip": client_ip(request), "method": request.method, "path": request.url.path}
        gate = services.gate
        if isinstance(gate, AdmittingGate):
            decision = await gate.admit(caller, action, resource_type, context)
        else:
            decision = await run_short(
                not gate.blocking, gate.check, caller, action, resource_type, context
            )
        if not decision.allow:
            raise ForbiddenError(f"not allowed to {action} {resource_type}", decision.reasons)
        return caller

    dependency.__name__ = f"require_{action.replace(':', '_')}_{resource_type}"
    setattr(dependency, PERMISSION_ATTRIBUTE, action)  # read by web.openapi (x-permission)
    return dependency
