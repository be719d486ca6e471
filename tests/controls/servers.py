"""Extra real servers the controls tests need beyond tests/services.py."""

from __future__ import annotations

from pathlib import Path

from tests.services import Server, start_openbao


def _file_audit_device(workdir: Path) -> str:
    return (
        'audit "file" "ctl-audit" {\n  options {\n'
        f'    file_path = "{workdir / "audit.log"}"\n  }}\n}}\n'
    )


def start_openbao_with_audit(root_token: str = "tp-ctl-root") -> Server:
    """An OpenBao dev server whose config declares a file audit device (API creation is off)."""
    return start_openbao(root_token, config_hcl=_file_audit_device, name="OpenBao with audit")
