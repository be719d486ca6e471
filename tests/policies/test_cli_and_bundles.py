"""``trustplane policy test|push|rollback`` and OPA bundle signing/verification."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from typer.testing import CliRunner

from policies import (
    DEFAULT_BUNDLE_DIR,
    BundleError,
    BundleSigner,
    build_bundle,
    files_from_bundle,
    load_bundle_dir,
    verify_bundle,
)
from policies.opa.bundle import read_bundle
from trustplane.cli import app as cli

runner = CliRunner()


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def broken_bundle(tmp_path: Path) -> Path:
    target = tmp_path / "broken"
    shutil.copytree(DEFAULT_BUNDLE_DIR, target)
    test_file = target / "finsolve" / "authz_test.rego"
    test_file.write_text(test_file.read_text() + "\ntest_that_fails if false\n")
    return target


def test_policy_test_prints_results_and_coverage(tmp_path: Path) -> None:
    ok = runner.invoke(cli, ["policy", "test"])
    assert ok.exit_code == 0, ok.output
    assert "PASS data.finsolve.authz_test." in ok.output
    assert "policy line coverage 100.0% (floor 90%)" in ok.output
    failed = runner.invoke(cli, ["policy", "test", str(broken_bundle(tmp_path))])
    assert failed.exit_code == 1
    assert "FAIL data.finsolve.authz_test.test_that_fails" in failed.output
    missing = runner.invoke(cli, ["policy", "test", str(tmp_path / "nope")])
    assert missing.exit_code == 1


def test_policy_push_refuses_failing_bundle_and_rollback_unknown(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATABASE_URL", db_url)
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    refused = runner.invoke(cli, ["policy", "push", str(broken_bundle(tmp_path))])
    assert refused.exit_code == 1
    assert "push refused" in refused.output
    pushed = runner.invoke(cli, ["policy", "push", str(DEFAULT_BUNDLE_DIR)])
    assert pushed.exit_code == 0, pushed.output
    assert load_bundle_dir().revision in pushed.output
    unknown = runner.invoke(cli, ["policy", "rollback", "0" * 64])
    assert unknown.exit_code == 1
    assert "rollback refused" in unknown.output
    again = runner.invoke(cli, ["policy", "rollback", load_bundle_dir().revision])
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_signed_bundle_verifies_and_detects_tampering(algorithm: str) -> None:
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if algorithm == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    signer = BundleSigner(private_pem(key), keyid="ops")
    assert signer.algorithm == algorithm
    files = load_bundle_dir()
    archive = build_bundle(files, signer)
    assert build_bundle(files, signer) == archive or algorithm == "ES256"  # ECDSA is randomized
    payload = verify_bundle(archive, public_pem(key))
    assert payload["keyid"] == "ops"
    assert files_from_bundle(archive).revision == files.revision
    with pytest.raises(BundleError, match="signature invalid"):
        verify_bundle(archive, public_pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(BundleError, match="not signed"):
        verify_bundle(build_bundle(files), public_pem(key))
    tampered_files = load_bundle_dir()
    tampered_files.data["finsolve"]["config"]["admin"]["cidrs"] = ["0.0.0.0/0"]
    entries = read_bundle(build_bundle(tampered_files))
    signed_entries = read_bundle(archive)
    signed_entries["data.json"] = entries["data.json"]
    import gzip
    import io
    import tarfile

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, body in signed_entries.items():
            info = tarfile.TarInfo("/" + name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    with pytest.raises(BundleError, match="do not match"):
        verify_bundle(gzip.compress(raw.getvalue()), public_pem(key))
    with pytest.raises(BundleError, match="gzip"):
        read_bundle(b"not an archive")


def test_signer_refuses_other_key_types() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(BundleError, match="RSA or EC P-256"):
        _ = BundleSigner(private_pem(key)).algorithm
