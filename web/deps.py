"""FastAPI dependencies, as ``Annotated`` aliases, in one place.

Routers write ``caller: CallerDep`` to require an authenticated caller and
``Depends(require("audit:read", "audit_log"))`` (or ``dependencies=[...]``) to gate a route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol, TypeVar

import structlog
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from identity import Caller
from web.errors import ForbiddenError, NotAuthenticatedError, RateLimitedError
from web.gate import RouteGate
from web.ratelimit import TokenBucketLimiter

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


class WebContext(Protocol):
    """The parts of the composition root's container every request uses."""

    @property
    def authenticator(self) -> CallerAuthenticator: ...

    @property
    def gate(self) -> RouteGate: ...

    @property
    def limiter(self) -> TokenBucketLimiter: ...


async def get_container(request: Request) -> Any:
    return request.app.state.container


ContainerDep = Annotated[Any, Depends(get_container)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _credentials(request: Request, container: WebContext) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return container.authenticator.authenticate_bearer(token.strip())
    if header:
        raise NotAuthenticatedError("unsupported Authorization scheme; use Bearer")
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        caller = container.authenticator.authenticate_session(session_token)
        if request.method not in SAFE_METHODS:
            from identity import CsrfError

            sent = request.headers.get(CSRF_HEADER)
            if not sent or caller.csrf_token is None or not _same(sent, caller.csrf_token):
                raise CsrfError("missing or invalid CSRF token for a cookie-authenticated request")
        return caller
    raise NotAuthenticatedError("authentication required")


def _same(left: str, right: str) -> bool:
    import hmac

    return hmac.compare_digest(left.encode(), right.encode())


async def run_short(inline: bool, work: Callable[..., Result], *args: Any) -> Result:
    """``work(*args)`` on the event loop when ``inline`` (CPU work well under a millisecond,
    cheaper than a threadpool hop), else in the threadpool (work that may wait on I/O).
    The one place the web layer makes that choice (ADR 0007)."""
    if inline:
        return work(*args)
    return await run_in_threadpool(work, *args)


def _verifiable_inline(request: Request, container: WebContext) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and not container.authenticator.bearer_needs_io(token.strip())


async def current_caller(request: Request, container: ContainerDep) -> Caller:
    """The authenticated caller, rate limited; raises 401/429 problems otherwise.

    A token this service issued is checked on the event loop: a signature check costs less
    than the hop to a worker thread and back (ADR 0007). Sessions (a database read) and
    tokens of external issuers (whose keys may need fetching) are checked in the threadpool.
    """
    caller = await run_short(
        _verifiable_inline(request, container), _credentials, request, container
    )
    retry_after = container.limiter.acquire(f"caller:{caller.id}")
    if retry_after > 0:
        raise RateLimitedError(retry_after)
    request.state.caller = caller
    structlog.contextvars.bind_contextvars(caller_id=caller.id, caller_kind=caller.kind.value)
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def require(action: str, resource_type: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency that admits the caller only when the route gate allows the action."""

    async def dependency(request: Request, caller: CallerDep, container: ContainerDep) -> Caller:
        context = {"ip": client_ip(request), "method": request.method, "path": request.url.path}
        gate: RouteGate = container.gate
        decision = await run_short(
            not gate.blocking, gate.check, caller, action, resource_type, context
        )
        if not decision.allow:
            raise ForbiddenError(f"not allowed to {action} {resource_type}", decision.reasons)
        return caller

    dependency.__name__ = f"require_{action.replace(':', '_')}_{resource_type}"
    setattr(dependency, PERMISSION_ATTRIBUTE, action)  # read by web.openapi (x-permission)
    return dependency
