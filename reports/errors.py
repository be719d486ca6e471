"""Exception tree of the reports room."""


class ReportsError(Exception):
    """Root of every error raised by the reports room."""


class InvalidReportRequestError(ReportsError):
    """A report or bundle was asked for with a bad kind, framework, window or format."""


class ReportNotFoundError(ReportsError):
    """No report or bundle with that id."""


class OutOfScopeError(ReportsError):
    """The caller's engagement does not cover that framework or window."""


class RendererUnavailableError(ReportsError):
    """The PDF renderer (WeasyPrint and its system libraries) is not installed here."""


class BundleFormatError(ReportsError):
    """A bundle is not a readable zip with the expected layout."""


class ArtifactIntegrityError(ReportsError):
    """A stored report or bundle no longer matches the SHA-256 recorded when it was built."""


class JobTakenOverError(ReportsError):
    """This worker's lease on a job expired and another worker took the job over."""
