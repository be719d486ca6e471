"""Exception tree of the controls room.

``ControlsError`` is the one root; ``web/`` maps the subclasses to problem+json.
"""


class ControlsError(Exception):
    """Root of every error raised by the controls room."""


class CatalogError(ControlsError):
    """The catalog files do not load, validate or cross-reference."""


class UnknownFrameworkError(ControlsError):
    """No framework with that id in the catalog."""


class UnknownControlError(ControlsError):
    """No control with that id in the catalog."""


class UnknownCheckError(ControlsError):
    """No check with that id in the registry."""


class UnknownCollectorError(ControlsError):
    """No collector with that name is configured."""


class CollectorError(ControlsError):
    """A collector could not gather its evidence (the run records ``error`` findings)."""


class EvidenceError(ControlsError):
    """The evidence store failed."""


class EvidenceNotFoundError(EvidenceError):
    """No evidence item with that hash."""


class EvidenceIntegrityError(EvidenceError):
    """A stored evidence item no longer matches its SHA-256 address."""


class AttestationError(ControlsError):
    """A manual attestation is invalid (unknown kind, expiry not after the attestation)."""


class GateUsageError(ControlsError):
    """The CI gate was called wrongly (missing directory, unknown framework or severity)."""
