"""The signed-in user's own password change (current password, new password twice).

A user created with a one-time password (the first admin printed by ``make demo``, any user
an administrator creates) is sent here from every console page until the change is done
(``web.console.session``); the API's bearer tokens are not affected. The change ends the
user's other sessions; this one stays.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from audit import Origin
from identity import (
    PASSWORD_MIN_LENGTH,
    AccountLockedError,
    IdentityService,
    PasswordRefusedError,
)
from web.console.rendering import render
from web.console.session import PASSWORD_PAGE, ConsoleDep
from web.deps import IdentityDep, LoginGuardDep, client_ip
from web.ratelimit import LoginGuard

router = APIRouter(include_in_schema=False)

MAX_FIELD = 1024
MISMATCH = "The two new passwords are not the same."


async def _page(console: ConsoleDep, status: int = 200, error: str | None = None) -> HTMLResponse:
    return await render(
        console,
        "password.html",
        status,
        forced=console.caller.must_change_password,
        min_length=PASSWORD_MIN_LENGTH,
        error=error,
    )


@router.get(PASSWORD_PAGE)
async def password_form(console: ConsoleDep) -> HTMLResponse:
    return await _page(console)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _change(
    identity: IdentityService,
    guard: LoginGuard,
    console: ConsoleDep,
    passwords: tuple[str, str],
    origin: Origin,
) -> int:
    with guard.work.slot():  # argon2 work bounded, as for sign-in
        return identity.change_password(console.caller, *passwords, origin)


@router.post(PASSWORD_PAGE)
async def change_password(
    console: ConsoleDep, identity: IdentityDep, guard: LoginGuardDep
) -> Response:
    form = await console.form()
    current, new, again = (
        _text(form.get(name)) for name in ("current_password", "new_password", "new_password_again")
    )
    if max(len(current), len(new), len(again)) > MAX_FIELD:
        return await _page(console, 422, f"A password may have at most {MAX_FIELD} characters.")
    if new != again:
        return await _page(console, 422, MISMATCH)
    request = console.request
    origin = Origin(ip=client_ip(request), request_id=getattr(request.state, "request_id", None))
    try:
        await run_in_threadpool(_change, identity, guard, console, (current, new), origin)
    except AccountLockedError:
        return await _page(console, 429, "Too many wrong passwords: the account is locked a while.")
    except PasswordRefusedError as exc:
        message = str(exc)
        return await _page(console, 422, message[:1].upper() + message[1:] + ".")
    return RedirectResponse("/console/", status_code=303)
