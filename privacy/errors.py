"""Exception tree of the privacy room (``web/problems.py`` maps each class to a problem)."""

from __future__ import annotations


class PrivacyError(Exception):
    """Root of every error raised by the privacy room."""


class DataMapError(PrivacyError):
    """The data map is invalid; ``problems`` names each line and key at fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid data map: " + "; ".join(problems[:10]))
        self.problems = problems
        self.problem_extra = {"errors": problems}


class DataMapMissingError(PrivacyError):
    """No data map was loaded yet."""


class InvalidDsrError(PrivacyError):
    """A request's input is invalid (unknown type, identifier kind, regime, ...)."""


class DsrNotFoundError(PrivacyError):
    """No request with this id."""


class IllegalTransitionError(PrivacyError):
    """The request's state does not allow this step; nothing changed."""


class DuplicateRequestError(PrivacyError):
    """An open request of the same type already exists for this principal."""


class VerificationError(PrivacyError):
    """A verification code was wrong, expired or used up."""


class ConnectorError(PrivacyError):
    """A system could not be reached or refused a step (the step stays retryable)."""


class PackageLinkError(PrivacyError):
    """A package download link is invalid or expired."""


class InvalidConsentError(PrivacyError):
    """A consent change is invalid (unknown purpose or notice, bad principal or channel)."""


class ConsentNotGivenError(PrivacyError):
    """A withdrawal of a consent that is not currently given; nothing changed."""


class NoticeNotFoundError(PrivacyError):
    """No notice with this id, version or language."""


class InvalidBreachError(PrivacyError):
    """A breach's input is invalid (no affected categories, unknown severity or regime, ...)."""


class BreachNotFoundError(PrivacyError):
    """No breach with this id, or no such duty for it."""


class InvalidGrievanceError(PrivacyError):
    """A grievance or nomination is invalid (unknown action, no nomination for a nominee...)."""


class GrievanceNotFoundError(PrivacyError):
    """No grievance or nomination with this id."""
