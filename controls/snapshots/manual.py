"""Manual attestations: uploaded documents for what no API shows, each with an expiry."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

ATTESTATION_KINDS: dict[str, str] = {
    "security_training": "Security awareness training completed",
    "phishing_simulation": "Quarterly phishing simulation run",
    "dr_drill": "Disaster recovery drill performed",
    "penetration_test": "Penetration test performed and findings tracked",
    "vulnerability_scan": "Vulnerability scans run and patched within SLA",
    "access_review": "Access review signed off",
    "incident_response_test": "Breach notification runbook exercised",
    "dpia": "Data protection impact assessments current",
    "ropa": "Records of processing reviewed",
    "privacy_notice": "Privacy notices reviewed",
    "consent_process": "Consent collection and withdrawal reviewed",
    "children_data": "Verifiable parental consent process reviewed",
    "erasure_process": "Erasure notice and retention schedule reviewed",
    "grievance_process": "Grievance redressal process reviewed",
    "dpo_contact": "DPO contact published",
    "nomination_process": "Nomination process published",
    "processor_contracts": "Processor contracts include security safeguards",
    "cloud_provider_attestation": "Cloud provider attestation (physical security) on file",
}


class AttestationInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    title: str
    attested_by: str
    attested_at: datetime
    expires_at: datetime
    evidence_sha256: str | None = None


class ManualSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True)

    observed_at: datetime
    attestations: tuple[AttestationInfo, ...] = ()
