"""PDF renderers of the reports' HTML: WeasyPrint (the default, ADR 0701) and Chromium's print
through Playwright (opt-in, ADR 0707: about ten times faster on a large report).

Both take the same HTML. Chromium runs with JavaScript off and every request aborted (the
reports carry their charts as ``data:`` URIs; nothing is fetched), and prints the page
numbers in its own footer, since it ignores CSS ``@page`` margin boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from reports.errors import RendererUnavailableError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")
FOOTER = (
    '<div style="font-family: DejaVu Sans, sans-serif; font-size: 8pt; color: #555; '
    'width: 100%; margin: 0 14mm; display: flex; justify-content: space-between;">'
    '<span class="title"></span>'
    '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
)
MARGINS = {"top": "18mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}


class PdfRenderer(Protocol):
    name: str

    def check(self) -> None:
        """Raise ``RendererUnavailableError`` now, before a PDF is promised to anyone."""

    def render(self, html: str) -> bytes: ...


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango/harfbuzz libraries are missing
        raise RendererUnavailableError(
            "PDF rendering needs WeasyPrint and the pango library; "
            "run scripts/system-deps.sh (or apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
        ) from exc
    return weasyprint


class WeasyPrintRenderer:
    name = "weasyprint"

    def check(self) -> None:
        _weasyprint()

    def render(self, html: str) -> bytes:
        pdf: bytes = _weasyprint().HTML(string=html).write_pdf()
        return pdf


def _playwright() -> Any:
    try:
        from playwright import sync_api
    except ImportError as exc:
        raise RendererUnavailableError(
            "the chromium PDF renderer needs Playwright for Python (pip install playwright)"
        ) from exc
    return sync_api


class ChromiumRenderer:
    name = "chromium"

    def __init__(self, executable: Path = CHROMIUM) -> None:
        self._executable = executable

    def check(self) -> None:
        _playwright()
        if not self._executable.is_file():
            raise RendererUnavailableError(
                f"the chromium PDF renderer needs {self._executable} (apt-get install chromium)"
            )

    def render(self, html: str) -> bytes:
        self.check()
        with _playwright().sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(self._executable), args=list(CHROMIUM_ARGS)
            )
            try:
                page = browser.new_page(java_script_enabled=False)
                page.route("**/*", lambda route: route.abort())  # offline: nothing is fetched
                page.set_content(html, wait_until="load")
                pdf: bytes = page.pdf(
                    format="A4",
                    print_background=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=FOOTER,
                    margin=MARGINS,
                )
            finally:
                browser.close()
        return pdf
