"""Exception tree of the policies room."""


class PolicyError(Exception):
    """Root of every error raised by the policies room."""


class BundleError(PolicyError):
    """A bundle directory or archive is malformed (missing data, unparsable Rego, ...)."""


class PolicyTestFailedError(PolicyError):
    """The bundle's Rego unit tests failed or its coverage is below the floor."""


class EvaluationError(PolicyError):
    """An engine could not evaluate a query (error, timeout, unreachable server)."""


class RevisionNotFoundError(PolicyError):
    """No stored bundle revision has that content hash."""


class InvalidRequestError(PolicyError):
    """A decision request does not have the documented shape."""


class InvalidDataPathError(InvalidRequestError):
    """A Data API path has a segment that is not a Rego identifier (HTTP 400, like OPA)."""


class EvaluationTimeoutError(EvaluationError):
    """The engine did not answer within the decision deadline."""


class DecisionLogUnavailableError(EvaluationError):
    """A decision's audit event could not be made durable in time: the decision is not
    answered (HTTP 503 with ``Retry-After``), never acknowledged without its event."""

    def __init__(self, message: str, retry_after_seconds: int = 1) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.problem_headers = {"Retry-After": str(retry_after_seconds)}


class DecisionIdsInFlightError(PolicyError):
    """An upload holds decision ids another upload has claimed but the log does not hold yet
    (it may still be recording, or it died before it did): the rest of the upload is recorded,
    and the agent is asked to send it again later (HTTP 503 with ``Retry-After``), when the id
    is in the log or its claim has outlived its lease (ADR 0214)."""

    def __init__(self, in_flight: list[str], recorded: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"{len(in_flight)} decision id(s) of this upload are being recorded by another "
            "upload; send it again later"
        )
        self.problem_headers = {"Retry-After": str(retry_after_seconds)}
        self.problem_extra = {"in_flight": in_flight, "recorded": recorded}


class UploadTooLargeError(InvalidRequestError):
    """An agent upload is larger than accepted (HTTP 413); nothing of it is recorded."""


class AgentIdTakenError(PolicyError):
    """An agent id is already reported by another account (HTTP 409)."""


class FactRefusedError(InvalidRequestError):
    """A Data API input names a record trustplane holds (a data subject request, a data-map
    system) that does not check out: nothing is evaluated, the refusal is logged as the deny
    ``decision_id`` with ``reasons`` (HTTP 422 with the reason, or a deny on the decision
    paths; ADR 0212)."""

    def __init__(self, message: str, reasons: list[str], decision_id: str) -> None:
        super().__init__(message)
        self.reasons = reasons
        self.decision_id = decision_id
