"""iac collector: checkov over a directory (Terraform, Kubernetes, Helm, Dockerfile), offline."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from controls.collectors.base import Collected
from controls.errors import CollectorError
from controls.snapshots.iac import CheckovResult, IacSnapshot

FRAMEWORKS = ("terraform", "kubernetes", "helm", "dockerfile")
# trustplane's own checkov checks (database/cache/search ports, allowed regions)
EXTERNAL_CHECKS = Path(__file__).resolve().parent.parent / "checkov_checks"


class IacCollector:
    """Runs ``checkov -d DIR -o json`` with no network (``BC_SKIP_MAPPING``, ``--skip-download``).

    ``checkov_bin`` is injected by the composition root (default ``.tools/checkov/bin/checkov``).
    """

    name = "iac"

    def __init__(
        self,
        directory: Path,
        checkov_bin: Path,
        *,
        timeout: float = 600.0,
        allowed_regions: tuple[str, ...] = ("ap-south-1", "ap-south-2"),
    ) -> None:
        self._directory = directory
        self._checkov_bin = checkov_bin
        self._timeout = timeout
        self._allowed_regions = allowed_regions

    def collect(self) -> Collected:
        if not self._directory.is_dir():
            raise CollectorError(f"not a directory: {self._directory}")
        raw = self._run_checkov()
        return Collected(
            scope=f"iac:{self._directory}",
            snapshot=parse_checkov(raw, self._directory),
            artifact=raw,
        )

    def _run_checkov(self) -> bytes:
        argv = [
            str(self._checkov_bin),
            "-d",
            str(self._directory),
            "-o",
            "json",
            "--skip-download",
            "--external-checks-dir",
            str(EXTERNAL_CHECKS),
            "--framework",
            *FRAMEWORKS,
        ]
        env = {
            **os.environ,
            "BC_SKIP_MAPPING": "TRUE",
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "",
            "TRUSTPLANE_ALLOWED_REGIONS": ",".join(self._allowed_regions),
        }
        env.pop("BC_API_KEY", None)
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv, no shell
                argv, capture_output=True, timeout=self._timeout, check=False, env=env
            )
        except FileNotFoundError as exc:
            raise CollectorError(
                f"checkov not found at {self._checkov_bin} (install it with `make tools`,"
                " or set TRUSTPLANE_CONTROLS__CHECKOV_BIN)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise CollectorError(f"checkov timed out after {self._timeout:.0f} s") from exc
        if done.returncode not in (0, 1):
            tail = done.stderr.decode(errors="replace")[-300:]
            raise CollectorError(f"checkov exited {done.returncode}: {tail}")
        return done.stdout


def parse_checkov(raw: bytes, directory: Path) -> IacSnapshot:
    """checkov's JSON: one report object, or a list of them (one per framework)."""
    try:
        document = json.loads(raw) if raw.strip() else []
    except json.JSONDecodeError as exc:
        raise CollectorError("checkov did not print JSON") from exc
    reports: list[Mapping[str, Any]] = document if isinstance(document, list) else [document]
    results = [result for report in reports for result in _results(report)]
    version = next((str(r.get("summary", {}).get("checkov_version", "")) for r in reports), "")
    errors = sum(int(r.get("summary", {}).get("parsing_errors", 0)) for r in reports)
    return IacSnapshot(
        directory=str(directory),
        checkov_version=version,
        parsing_errors=errors,
        results=tuple(sorted(results, key=lambda r: (r.file_path, r.resource, r.check_id))),
    )


def _results(report: Mapping[str, Any]) -> Iterator[CheckovResult]:
    results = report.get("results", {})
    for key, passed in (("passed_checks", True), ("failed_checks", False)):
        for entry in results.get(key, []):
            line_range = entry.get("file_line_range") or [0]
            yield CheckovResult(
                check_id=str(entry["check_id"]),
                resource=str(entry.get("resource", "")),
                file_path=str(entry.get("file_path", "")).lstrip("/"),
                line=int(line_range[0]),
                passed=passed,
            )
