"""``trustplane demo``: embedded defaults, a seeded FinSolve demo, served on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer
import uvicorn

from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.db import make_engine
from trustplane.demo.clock import SeedingClock
from trustplane.migrations.runner import upgrade
from trustplane.server import BackgroundServer, connection_options, proxy_options
from trustplane.settings import Settings

DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8000


@dataclass
class DemoSeed:
    """What the demo created and must show once (credentials are never logged)."""

    lines: list[str] = field(default_factory=list)


def seed_demo(container: Container) -> DemoSeed:
    """Create the demo's admin and service account, and each wired room's demo data."""
    seed = DemoSeed()
    for seeder in container.demo_seeders:
        seed.lines.extend(seeder())
    return seed


def run_demo(settings: Settings, *, check: bool, port: int | None) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    container = build_container(settings, engine, demo_clock=SeedingClock())
    seed = seed_demo(container)
    app = create_app(settings, container)
    if check:
        server = BackgroundServer(
            app, DEMO_HOST, port, trusted_proxies=settings.web.trusted_proxies
        ).start()
        try:
            ready = server.wait_ready()
        finally:
            server.stop()
        typer.echo("OK" if ready else "FAILED: /readyz did not answer 200")
        return 0 if ready else 1
    chosen = port or DEMO_PORT
    typer.echo(f"trustplane demo: data in {settings.data_dir.resolve()}")
    for line in seed.lines:
        typer.echo(line)
    typer.echo(
        f"serving the API on http://{DEMO_HOST}:{chosen} (OpenAPI at /openapi.json; Ctrl-C stops)"
    )

    uvicorn.run(
        app,
        host=DEMO_HOST,
        port=chosen,
        log_config=None,
        access_log=False,
        **proxy_options(settings.web.trusted_proxies),
        **connection_options(settings.web.keep_alive_seconds, settings.web.backlog),
    )
    return 0
