"""The record of processing activities (GDPR Art. 30(1)), generated from the data map with the
current status of the controls that protect each system: JSON, HTML or CSV."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from identity import Caller
from privacy import build_ropa, ropa_csv, ropa_html
from web.deps import ControlsDep, PrivacyDep, require
from web.privacy_problems import PRIVACY_RESPONSES

router = APIRouter(prefix="/v1", tags=["privacy"], responses=dict(PRIVACY_RESPONSES))
Reader = Annotated[Caller, Depends(require("ropa:read", "ropa"))]


@router.get(
    "/ropa",
    responses={
        200: {
            "content": {"text/html": {}, "text/csv": {}},
            "description": "The record as JSON (default), HTML or CSV",
        }
    },
)
def get_ropa(
    caller: Reader,
    privacy: PrivacyDep,
    controls: ControlsDep,
    format: Annotated[Literal["json", "html", "csv"], Query()] = "json",
) -> Response:
    """One activity per table or system of the data map (404 problem when none is loaded)."""
    stored, datamap = privacy.datamap()
    postures = controls.control_postures()

    def status(control_id: str) -> str:
        posture = postures.get(control_id)
        return posture.status.value if posture is not None else "unknown"

    activities = build_ropa(datamap, status)
    if format == "csv":
        return Response(
            ropa_csv(activities),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ropa.csv"'},
        )
    if format == "html":
        return HTMLResponse(ropa_html(activities, datamap.organisation))
    body: dict[str, Any] = {
        "organisation": datamap.organisation,
        "datamap_sha256": stored.sha256,
        "activities": [asdict(a) for a in activities],
    }
    return JSONResponse(body)
