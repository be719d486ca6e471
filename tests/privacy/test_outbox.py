"""The Outbox port: RFC 5322 files (0600) and SMTP against a real SMTP server on loopback."""

from __future__ import annotations

import socket
import threading
import warnings
from email import message_from_bytes
from pathlib import Path
from typing import Any

from privacy import FileOutbox, SmtpOutbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore
    import smtpd


def test_file_outbox_writes_one_private_eml_per_message(tmp_path: Path) -> None:
    outbox = FileOutbox(tmp_path / "outbox", sender="privacy@finsolve.example")
    first = outbox.send("a@example.in", "Subject one", "Body one\n")
    outbox.send("b@example.in", "Subject two", "Body two\n")
    files = outbox.messages()
    assert len(files) == 2
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
    parsed = [message_from_bytes(f.read_bytes()) for f in files]
    one = next(m for m in parsed if m["To"] == "a@example.in")
    assert one["Message-ID"] == first
    assert one["From"] == "privacy@finsolve.example"
    assert one["Date"]
    assert one.get_payload(decode=True) == b"Body one\n"


class _Collector(smtpd.SMTPServer):
    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, ("127.0.0.1", 1), decode_data=False)  # no relaying
        self.received: list[tuple[str, list[str], bytes]] = []

    def process_message(  # type: ignore[override]
        self, peer: Any, mailfrom: str, rcpttos: list[str], data: bytes, **kwargs: Any
    ) -> None:
        self.received.append((mailfrom, rcpttos, data))


def test_smtp_outbox_delivers_to_a_real_smtp_server() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _Collector(("127.0.0.1", port))
    loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True)
    loop.start()
    try:
        outbox = SmtpOutbox("127.0.0.1", port, starttls=False, sender="privacy@finsolve.example")
        message_id = outbox.send("c@example.in", "Your code", "Your verification code is 123456.\n")
    finally:
        server.close()
    assert len(server.received) == 1
    mailfrom, recipients, data = server.received[0]
    assert mailfrom == "privacy@finsolve.example"
    assert recipients == ["c@example.in"]
    message = message_from_bytes(data)
    assert message["Message-ID"] == message_id
    assert b"123456" in data
