"""Privacy notices (DPDP s.5, Rules 2025 rule 3): versioned, itemised, in English and Hindi.

A notice is data (``privacy/notices/<id>.json``): per version its purposes (each described
in every language), data categories, how to withdraw and how to complain to the Board. It is
rendered with Jinja2, one template per language; a consent cites the version it was given
under (``privacy.consent_ledger``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from privacy.errors import NoticeNotFoundError

LANGUAGES = ("en", "hi")
_ENV = Environment(
    loader=PackageLoader("privacy", "templates"),
    autoescape=select_autoescape(["html"]),  # notices are plain text, served as text/plain
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class NoticeVersion:
    notice_id: str
    version: int
    effective_from: datetime
    purposes: tuple[str, ...]
    document: Mapping[str, Any]  # the version's texts, per language

    def text(self, key: str, lang: str) -> str:
        value = self.document[key]
        return str(value[lang])


@dataclass(frozen=True)
class Notice:
    id: str
    controller: Mapping[str, str]
    contact: str
    versions: tuple[NoticeVersion, ...]

    @property
    def latest(self) -> NoticeVersion:
        return self.versions[-1]

    def version(self, number: int | None) -> NoticeVersion:
        if number is None:
            return self.latest
        for candidate in self.versions:
            if candidate.version == number:
                return candidate
        raise NoticeNotFoundError(f"notice {self.id!r} has no version {number}")


def _parse(raw: Mapping[str, Any]) -> Notice:
    notice_id = str(raw["id"])
    versions = tuple(
        NoticeVersion(
            notice_id=notice_id,
            version=int(item["version"]),
            effective_from=datetime.fromisoformat(str(item["effective_from"])),
            purposes=tuple(str(p) for p in item["purposes"]),
            document=item,
        )
        for item in raw["versions"]
    )
    numbers = [v.version for v in versions]
    if not versions or numbers != sorted(set(numbers)):
        raise ValueError(f"notice {notice_id}: versions must be unique and ascending")
    for version in versions:
        for purpose in version.purposes:
            for lang in LANGUAGES:
                version.document["purpose_text"][purpose][lang]  # every purpose, every language
    return Notice(notice_id, raw["controller"], str(raw["contact"]), versions)


class NoticeRegistry:
    """The notices trustplane serves (the shipped ones, or a directory of JSON files)."""

    def __init__(self, notices: Mapping[str, Notice]) -> None:
        self._notices = dict(notices)

    @classmethod
    def load(cls, directory: Path | None = None) -> NoticeRegistry:
        paths = (
            sorted(directory.glob("*.json"))
            if directory is not None
            else [
                Path(str(entry))
                for entry in files("privacy").joinpath("notices").iterdir()
                if entry.name.endswith(".json")
            ]
        )
        notices = [_parse(json.loads(path.read_text(encoding="utf-8"))) for path in paths]
        return cls({notice.id: notice for notice in notices})

    def ids(self) -> list[str]:
        return sorted(self._notices)

    def get(self, notice_id: str) -> Notice:
        notice = self._notices.get(notice_id)
        if notice is None:
            raise NoticeNotFoundError(f"no notice {notice_id!r}")
        return notice

    def render(self, notice_id: str, lang: str = "en", version: int | None = None) -> str:
        if lang not in LANGUAGES:
            raise NoticeNotFoundError(
                f"notice language {lang!r} is not available ({', '.join(LANGUAGES)})"
            )
        notice = self.get(notice_id)
        item = notice.version(version)
        categories = item.document["data_categories"]
        return _ENV.get_template(f"notice.{lang}.txt.j2").render(
            controller=notice.controller[lang],
            contact=notice.contact,
            notice_id=notice.id,
            version=item.version,
            effective_from=item.effective_from.date().isoformat(),
            purposes=[
                {"name": p, "description": item.document["purpose_text"][p][lang]}
                for p in item.purposes
            ],
            categories=[
                {"name": name, "description": texts[lang]} for name, texts in categories.items()
            ],
            withdraw=item.text("withdraw", lang),
            complaint=item.text("complaint", lang),
        )
