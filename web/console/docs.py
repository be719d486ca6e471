"""Offline API docs: Swagger UI and ReDoc from the ``fastapi-offline`` package's assets,
served by the app itself (no CDN), started by the console's own script (no inline script)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.console.rendering import render_anonymous

router = APIRouter(include_in_schema=False)

VENDOR_DIR = Path(fastapi_offline.__file__).parent / "static"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return render_anonymous(request, "swagger.html")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return render_anonymous(request, "redoc.html")
