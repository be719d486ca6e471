"""Sign-in (email, password, TOTP), sign-out, and ``/`` for browsers.

A wrong password, a wrong code, an unknown address and a locked account get the same page
and status: the sign-in form says nothing an attacker could tell accounts apart by. The
sign-in form itself carries a pre-session CSRF token (a double-submit cookie scoped to the
console, ``SameSite=Strict``), so another site cannot sign a browser in to its own account.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from audit import Origin
from identity import AuthenticationError, IdentityService, LoginResult
from web.console.rendering import render, render_anonymous
from web.console.session import ConsoleDep
from web.deps import SESSION_COOKIE, IdentityDep, LoginGuardDep, ServicesDep, client_ip
from web.errors import RateLimitedError
from web.ratelimit import LoginGuard

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "tp_login_csrf"
SAME_ANSWER = "The email, password or code is not right, or the account is locked for a while."
HOME = "/console/"


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept


@router.get("/")
def root(request: Request) -> Response:
    """A browser goes to the console; a JSON client gets the usual problem+json 404."""
    if _wants_html(request):
        return RedirectResponse(HOME, status_code=303)
    raise HTTPException(status_code=404)


@router.get("/console")
def console_root() -> Response:
    return RedirectResponse(HOME, status_code=303)


def safe_next(value: str | None) -> str:
    """Only a console path: never another origin (``//evil.example``) or a scheme."""
    if value and value.startswith("/console/") and "//" not in value and "\\" not in value:
        return value
    return HOME


def _login_page(request: Request, status: int, error: str | None, secure: bool) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render_anonymous(
        request,
        "login.html",
        status,
        login_csrf=token,
        error=error,
        next=safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=1800,
        path="/console/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    return response


def _secure(request: Request, services: ServicesDep) -> bool:
    return services.cookie_secure or request.url.scheme == "https"


@router.get("/console/login")
def login_form(request: Request, services: ServicesDep) -> HTMLResponse:
    return _login_page(request, 200, None, _secure(request, services))


def _login(
    identity: IdentityService,
    guard: LoginGuard,
    credentials: tuple[str, str, str],
    origin: Origin,
) -> LoginResult:
    with guard.work.slot():  # argon2 work bounded, as for the API's /auth/login
        email, password, totp = credentials
        return identity.login(email, password, totp, origin)


@router.post("/console/login")
async def login(  # noqa: PLR0917 (the form's fields)
    request: Request,
    services: ServicesDep,
    identity: IdentityDep,
    guard: LoginGuardDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    totp: Annotated[str, Form(max_length=16)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    secure = _secure(request, services)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(request, 403, "The form expired; please sign in again.", secure)
    try:
        guard.admit(client_ip(request), f"email:{email}")
    except RateLimitedError:
        return _login_page(request, 429, "Too many attempts; wait a minute.", secure)
    origin = Origin(ip=client_ip(request), request_id=getattr(request.state, "request_id", None))
    try:
        result = await run_in_threadpool(_login, identity, guard, (email, password, totp), origin)
    except AuthenticationError:
        return _login_page(request, 401, SAME_ANSWER, secure)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.session_token,
        max_age=identity.config.session_absolute_seconds,
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/")
    return response


@router.post("/console/logout")
async def logout(request: Request, console: ConsoleDep, identity: IdentityDep) -> Response:
    await console.form()  # CSRF: another site cannot sign the browser out either
    token = request.cookies.get(SESSION_COOKIE, "")
    origin = Origin(ip=client_ip(request), request_id=getattr(request.state, "request_id", None))
    await run_in_threadpool(identity.logout, token, origin)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=_secure(request, console.services),
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/console/")
async def home(console: ConsoleDep) -> Response:
    """The first page the signed-in role may open."""
    nav = await console.navigation()
    if nav:
        return RedirectResponse(nav[0].href, status_code=303)
    return await render(
        console,
        "message.html",
        title="Nothing to show",
        message="Your role opens no console page. Ask an administrator for access.",
    )
