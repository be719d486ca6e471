"""Outgoing mail through one port: SMTP in production, ``.eml`` files in the embedded default.

The file outbox writes one RFC 5322 message per file (as Django's file-based mail backend
does), so the demo and the tests read real messages.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol


class Outbox(Protocol):
    def send(self, to: str, subject: str, body: str) -> str:
        """Send one plain-text message; returns its Message-ID."""
        ...


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "trustplane.local")
    message.set_content(body)
    return message


class FileOutbox:
    """One ``.eml`` file per message in ``directory`` (created 0700; files 0600)."""

    def __init__(self, directory: Path, sender: str = "privacy@finsolve.example") -> None:
        self.directory = directory
        self.sender = sender
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def send(self, to: str, subject: str, body: str) -> str:
        message = build_message(self.sender, to, subject, body)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(message.as_bytes())
            handle.flush()
            os.fsync(handle.fileno())
        return str(message["Message-ID"])

    def messages(self) -> list[Path]:
        return sorted(self.directory.glob("*.eml"))


class SmtpOutbox:
    """Mail through an SMTP relay (STARTTLS unless ``starttls`` is off)."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str = "privacy@finsolve.example",
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self._username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str) -> str:
        message = build_message(self.sender, to, subject, body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self._username and self._password:
                client.login(self._username, self._password)
            client.send_message(message)
        return str(message["Message-ID"])
