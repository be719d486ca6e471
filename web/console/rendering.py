"""Templates and the one way a console page is rendered (navigation, CSRF field, no-store)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web.console.session import Console

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
# templates ship with the code: compiled once per process, never stat'ed again per render
TEMPLATES.env.auto_reload = False
STATIC_DIR = HERE / "static"
NO_STORE = {"Cache-Control": "no-store"}


async def render(console: Console, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    nav = await console.navigation()
    return TEMPLATES.TemplateResponse(
        console.request,
        name,
        {
            "nav": nav,
            "caller": console.caller,
            "csrf_token": console.caller.csrf_token or "",
            "path": console.request.url.path,
            **context,
        },
        status_code=status,
        headers=NO_STORE,
    )


def render_anonymous(request: Any, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {"nav": [], "caller": None, "csrf_token": "", "path": request.url.path, **context},
        status_code=status,
        headers=NO_STORE,
    )
