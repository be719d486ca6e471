"""Adds the console to an app: routers, static files, error pages, security headers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from web.console import (
    audit_pages,
    auditor,
    collect,
    decisions,
    docs,
    keys,
    password,
    posture,
    privacy_desk,
    privacy_pages,
    signin,
)
from web.console.collect_jobs import CollectionJobs
from web.console.headers import SecurityHeadersMiddleware
from web.console.rendering import STATIC_DIR, render
from web.console.session import (
    PASSWORD_PAGE,
    Console,
    FormRefusedError,
    PageForbiddenError,
    PasswordChangeRequiredError,
    SignInRequiredError,
)


async def _sign_in(request: Request, _exc: Exception) -> Response:
    target = request.url.path if request.method == "GET" else "/console/"
    return RedirectResponse(f"/console/login?next={target}", status_code=303)


async def _change_password(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse(PASSWORD_PAGE, status_code=303)


def _console(request: Request) -> Console:
    return Console(request, request.state.caller, request.app.state.services)


async def _forbidden(request: Request, exc: Exception) -> HTMLResponse:
    reasons = exc.reasons if isinstance(exc, PageForbiddenError) else []
    return await render(_console(request), "forbidden.html", 403, reasons=reasons)


async def _form_refused(request: Request, _exc: Exception) -> HTMLResponse:
    return await render(
        _console(request),
        "message.html",
        403,
        title="Form refused",
        message="This form expired or was not sent from your session. Open the page again.",
    )


def install_console(app: FastAPI) -> None:
    app.mount("/console/static/vendor", StaticFiles(directory=docs.VENDOR_DIR), name="vendor")
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    for module in (
        signin,
        password,
        posture,
        collect,
        decisions,
        keys,
        audit_pages,
        privacy_pages,
        privacy_desk,
        auditor,
        docs,
    ):
        app.include_router(module.router)
    app.add_exception_handler(SignInRequiredError, _sign_in)
    app.add_exception_handler(PasswordChangeRequiredError, _change_password)
    app.add_exception_handler(PageForbiddenError, _forbidden)
    app.add_exception_handler(FormRefusedError, _form_refused)
    app.state.console_collections = CollectionJobs()
    app.add_middleware(SecurityHeadersMiddleware)
