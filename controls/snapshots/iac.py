"""What the iac collector saw: checkov's verdicts per check and resource."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CheckovResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    check_id: str
    resource: str
    file_path: str
    line: int = 0
    passed: bool


class IacSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    directory: str
    checkov_version: str = ""
    parsing_errors: int = 0
    results: tuple[CheckovResult, ...] = ()
