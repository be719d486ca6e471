"""Posture pages: frameworks (percent, counts, 30-day trend), controls (failing first), a
control's requirements, findings and evidence; "collect now" is ``web.console.collect``."""

from __future__ import annotations

import re
import weakref
from datetime import timedelta

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from controls import (
    ControlPosture,
    ControlsService,
    ControlStatus,
    UnknownControlError,
    framework_posture,
)
from web.console.charts import TrendPoint, trend_svg
from web.console.rendering import render
from web.console.session import ConsoleDep

router = APIRouter(include_in_schema=False)

# failing and stale controls first, then the rest
STATUS_ORDER = {
    ControlStatus.FAIL: 0,
    ControlStatus.ERROR: 1,
    ControlStatus.STALE: 2,
    ControlStatus.NO_EVIDENCE: 3,
    ControlStatus.PASS: 4,
    ControlStatus.NOT_APPLICABLE: 5,
}
TREND_DAYS = 30
RUN_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


def ordered_controls(postures: dict[str, ControlPosture]) -> list[ControlPosture]:
    return sorted(postures.values(), key=lambda p: (STATUS_ORDER[p.status], p.control_id))


def _frameworks(
    service: ControlsService, postures: dict[str, ControlPosture]
) -> list[dict[str, object]]:
    rows = []
    for framework in service.frameworks():
        posture = framework_posture(service.catalog, framework, postures)
        history = service.posture_history(framework.id, 500)
        since = max((s.taken_at for s in history), default=None)
        recent = [
            s
            for s in history
            if since is not None and s.taken_at >= since - timedelta(days=TREND_DAYS)
        ]
        recent.sort(key=lambda s: s.taken_at)
        points = [TrendPoint(s.taken_at, s.percent) for s in recent]
        rows.append(
            {
                "posture": posture,
                "points": points,
                "chart": trend_svg(points, f"{framework.name}: percent satisfied over time"),
            }
        )
    return rows


# (posture history version, every control's status): what the framework rows depend on
FrameworksKey = tuple[tuple[int, int], tuple[tuple[str, ControlStatus], ...]]


class FrameworkRows:
    """Per controls service, the framework rows of the last key seen (ADR 0842): the rows
    are a function of the catalog, the controls' statuses and the stored posture snapshots,
    and the key holds the last two, so a kept answer is the answer. Replaced whole."""

    def __init__(self) -> None:
        self._kept: weakref.WeakKeyDictionary[
            ControlsService, tuple[FrameworksKey, list[dict[str, object]]]
        ] = weakref.WeakKeyDictionary()

    def rows(
        self, service: ControlsService, postures: dict[str, ControlPosture]
    ) -> list[dict[str, object]]:
        statuses = tuple(sorted((cid, p.status) for cid, p in postures.items()))
        key: FrameworksKey = (service.posture_history_version(), statuses)
        kept = self._kept.get(service)
        if kept is not None and kept[0] == key:
            return kept[1]
        rows = _frameworks(service, postures)
        self._kept[service] = (key, rows)
        return rows


FRAMEWORK_ROWS = FrameworkRows()


def _posture(service: ControlsService) -> tuple[list[dict[str, object]], list[ControlPosture]]:
    """Framework rows and the controls, failing first, from one judgement of the findings."""
    postures = service.control_postures()
    return FRAMEWORK_ROWS.rows(service, postures), ordered_controls(postures)


@router.get("/console/posture")
async def posture_page(console: ConsoleDep, collected: str | None = None) -> HTMLResponse:
    service = console.services.controls
    frameworks, controls = await console.gated("controls:read", "control", _posture, service)
    return await render(
        console,
        "posture.html",
        frameworks=frameworks,
        controls=controls,
        can_collect=await console.holds("collections:run", "collection"),
        collected=collected if collected and RUN_ID.fullmatch(collected) else None,
    )


@router.get("/console/controls/{control_id}")
async def control_page(console: ConsoleDep, control_id: str = Path(max_length=64)) -> HTMLResponse:
    service = console.services.controls
    try:
        control, posture = await console.gated(
            "controls:read", "control", service.control, control_id
        )
    except UnknownControlError:
        return await render(
            console,
            "message.html",
            404,
            title="No such control",
            message="There is no control with this identifier.",
        )
    return await render(
        console,
        "control.html",
        control=control,
        posture=posture,
        frameworks={f.id: f for f in service.frameworks()},
        can_download=await console.holds("evidence:read", "evidence"),
    )


@router.get("/console/evidence/{sha256}")
async def evidence_download(
    console: ConsoleDep, sha256: str = Path(pattern=r"^[0-9a-f]{64}$")
) -> Response:
    await console.require("evidence:read", "evidence")
    meta, content = await run_in_threadpool(console.services.controls.evidence, sha256)
    return Response(
        content=content,
        media_type=meta.media_type,
        headers={
            "ETag": f'"{meta.sha256}"',
            "Content-Disposition": f'attachment; filename="evidence-{meta.sha256[:16]}"',
            "Cache-Control": "no-store",
        },
    )
