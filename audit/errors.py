"""Exception tree of the audit room."""


class AuditError(Exception):
    """Root of every error raised by the audit room."""


class AuditUnavailableError(AuditError):
    """The log could not make an event durable; the request that needed it must fail."""


class AuditIntegrityError(AuditError):
    """Stored events or checkpoints do not verify."""
