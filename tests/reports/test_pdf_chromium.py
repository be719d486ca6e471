"""The Chromium PDF renderer (opt-in, ADR 0707) with the real Debian chromium: same headings
and page numbers as WeasyPrint's, nothing fetched, and a clear refusal when it is missing."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from reports import ChromiumRenderer, RendererUnavailableError, WeasyPrintRenderer
from reports.framework.model import assemble
from reports.framework.render import render_html
from tests.reports.test_framework_report import (
    HEADINGS,
    NOW,
    WINDOW,
    evidence,
    partial_source,
)
from trustplane.settings import Settings
from trustplane.wiring.reports import pdf_renderer


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", "-l", "2", str(path), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    assert sorted(tmp_path.glob("page-*.png"))
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def test_chromium_prints_the_report_with_its_headings_and_page_numbers(tmp_path: Path) -> None:
    renderer = ChromiumRenderer()
    renderer.check()  # chromium is a real component of these tests (make tools installs it)
    html = render_html(assemble(partial_source(), "pci_dss", WINDOW, evidence(40), NOW))
    pdf = renderer.render(html)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf, tmp_path)
    for heading in HEADINGS:
        assert heading in text, heading
    assert "TP-ENC-02" in text
    pages = re.findall(r"page (\d+) of (\d+)", text)
    assert pages
    assert pages[0][0] == "1"
    assert {total for _, total in pages} == {pages[0][1]}


class Recording(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = b"<h1>PLANTED-CONTENT</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        del format, args


@pytest.fixture
def server() -> Iterator[str]:
    Recording.seen.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_chromium_fetches_nothing_the_html_points_to(server: str, tmp_path: Path) -> None:
    html = (
        "<!doctype html><html><head><title>t</title>"
        f'<link rel="stylesheet" href="{server}/style.css"></head><body><h1>Only this</h1>'
        f'<img src="{server}/pixel.png" alt=""><iframe src="{server}/page"></iframe>'
        "</body></html>"
    )
    text = text_of(ChromiumRenderer().render(html), tmp_path)
    assert "Only this" in text
    assert "PLANTED-CONTENT" not in text
    assert Recording.seen == []  # not one request left the renderer


def test_a_missing_chromium_is_refused_before_anything_is_promised(tmp_path: Path) -> None:
    with pytest.raises(RendererUnavailableError, match="apt-get install chromium"):
        ChromiumRenderer(tmp_path / "no-chromium").check()


def test_the_setting_chooses_the_renderer(tmp_path: Path) -> None:
    chosen = pdf_renderer(Settings(data_dir=tmp_path, reports={"pdf_renderer": "chromium"}))
    assert isinstance(chosen, ChromiumRenderer)
    assert isinstance(pdf_renderer(Settings(data_dir=tmp_path)), WeasyPrintRenderer)
