"""Exception tree of the audit room."""


class AuditError(Exception):
    """Root of every error raised by the audit room."""


class AuditUnavailableError(AuditError):
    """The log could not make an event durable; the request that needed it must fail."""


class AuditUnconfirmedError(AuditUnavailableError):
    """The writer did not confirm in time: the events are still queued and may yet be made
    durable. The request fails, but whatever stands for "not recorded" must not be undone
    on its account (a claim given back, a retry let through)."""


class AuditStaleHeadError(AuditError):
    """An append that assumed the last known head lost a race with another appender.

    Internal: the log retries the batch under the head row lock; callers never see it.
    """


class AuditIntegrityError(AuditError):
    """Stored events or checkpoints do not verify."""


class AuditInvalidEventError(AuditError, ValueError):
    """An event cannot be stored as given (e.g. details that are not JSON)."""


class AuditRangeError(AuditError, ValueError):
    """A proof or export was asked for indexes or sizes the log does not have."""


class AuditInvalidQueryError(AuditError, ValueError):
    """A read was asked with a value the store cannot take (e.g. a NUL byte in a filter)."""


class AuditNotFoundError(AuditError):
    """No stored event at that index."""


class AuditArchivedError(AuditNotFoundError):
    """The event has left the hot store; its segment is in the archive."""
