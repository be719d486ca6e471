"""FastAPI app factory: one app per container, routers from web/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from trustplane import __version__
from trustplane.container import Container, build_container
from trustplane.errors import TrustplaneError
from trustplane.heap import freeze_startup_heap
from trustplane.logsetup import configure_logging
from trustplane.private_files import private_umask
from trustplane.settings import Settings
from web.console import install_console
from web.deps import install_services
from web.middleware import RequestContextMiddleware
from web.openapi import install_openapi
from web.problems import ProblemKind, install_problem_handlers
from web.routers import audit as audit_router
from web.routers import (
    auth,
    breaches,
    consents,
    dsr_public,
    fields,
    grievances,
    health,
    policies,
    ropa,
)
from web.routers import controls as controls_router
from web.routers import dsr as dsr_router
from web.routers import reports as reports_router

DESCRIPTION = (
    "FinSolve's compliance and security control plane: policy decisions, field-level "
    "encryption, a tamper-evident audit log, control evidence and privacy operations. "
    "Every non-2xx answer is RFC 9457 application/problem+json."
)


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the HTTP app; the container (and its database, keys, engines) is built once."""
    settings = settings or (container.settings if container else Settings())
    configure_logging(settings.log_level, settings.log_json)
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = container.controls_scheduler
        if scheduler is not None:
            scheduler.start()
        container.reports.resume()  # jobs acknowledged before a restart are built again
        yield
        if scheduler is not None:
            scheduler.stop()
        container.reports.close()
        container.close()

    app = FastAPI(
        title="trustplane",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are the console's offline pages
        redoc_url=None,
    )
    install_services(app, container)
    app.add_middleware(
        RequestContextMiddleware,
        metrics=container.metrics,
        max_body_bytes=settings.web.max_body_bytes,
    )
    install_problem_handlers(app, {TrustplaneError: ProblemKind(500, "internal", "Internal error")})
    install_openapi(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(fields.router)
    app.include_router(policies.router)
    app.include_router(controls_router.router)
    app.include_router(audit_router.router)
    app.include_router(reports_router.router)
    app.include_router(dsr_router.router)
    app.include_router(dsr_public.router)
    app.include_router(consents.router)
    app.include_router(consents.notices_router)
    app.include_router(consents.public_router)
    app.include_router(breaches.router)
    app.include_router(ropa.router)
    app.include_router(grievances.router)
    install_console(app)
    return app


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (one container per worker process).

    The heap built at startup lives as long as the worker: it is frozen out of the cyclic
    collector's sight (``trustplane.heap``), so full collections stay cheap under load.
    """
    private_umask()  # the worker's databases and files: owner only
    app = create_app(Settings())
    freeze_startup_heap()
    return app
