"""Offline verification of an auditor evidence bundle: no database, no network.

What is checked, each failure named with the file that broke:

* every file the manifest lists is present and hashes to the listed SHA-256; no file is
  present that the manifest does not list (the four ``audit/`` proof files aside);
* the checkpoint is signed by the key the auditor holds (given from outside, never taken
  from the bundle) and carries that one signature;
* every line of ``audit/events.jsonl`` has an inclusion proof in ``audit/proofs.json`` that
  takes its leaf hash to the checkpoint's root, and there is no proof without an event;
* the manifest's own SHA-256 is recorded by a proven ``report_generated`` event (so no
  listed file, report included, can change without breaking a proof);
* every evidence item hashes to its name, has its metadata, was collected inside the
  window, and is recorded by a proven ``evidence_collected`` event carrying its hash;
* the proof files are in their one canonical spelling, so no byte can be added unseen.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

import orjson

from audit import (
    AuditIntegrityError,
    CheckpointBody,
    NoteVerifier,
    leaf_hash,
    open_checkpoint,
)
from reports.bundle.archive import ArchiveError, read_members
from reports.bundle.gcpause import collector_paused
from reports.bundle.layout import (
    BUNDLE_EVENT,
    BUNDLE_TARGET,
    CHECKPOINT,
    EVENTS,
    EVIDENCE_DIR,
    EVIDENCE_EVENT,
    MANIFEST,
    MANIFEST_DIGEST_KEY,
    PROOF_FILES,
    PROOFS,
    PUBLIC_KEY,
)
from reports.bundle.proof_files import (
    LOWER_HEX,
    SpellingError,
    event_lines_at_once,
    parse_event_line,
    parse_proofs,
)
from reports.bundle.proofs import HASH, SharedPaths, verify_at_once, verify_in_order
from reports.errors import BundleFormatError

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
WHOLE_BUNDLE = "<bundle>"


@dataclass(frozen=True)
class Problem:
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class BundleReport:
    """What verification found; ``ok`` when there is no problem."""

    framework: str | None = None
    window: tuple[str, str] | None = None
    tree_size: int | None = None
    files_checked: int = 0
    events_checked: int = 0
    evidence_items: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, file: str, message: str) -> None:
        self.problems.append(Problem(file, message))

    def broken_files(self) -> set[str]:
        return {problem.file for problem in self.problems}


@dataclass
class _Proven:
    """Events whose inclusion proofs verified, by what they record."""

    evidence: dict[str, list[int]] = field(default_factory=dict)
    manifests: set[str] = field(default_factory=set)


def parse_key(text: str) -> NoteVerifier:
    """The auditor's verifier key (``name+keyid+base64``); ``BundleFormatError`` if malformed."""
    try:
        return NoteVerifier.parse(text)
    except AuditIntegrityError as exc:
        raise BundleFormatError(str(exc)) from exc


def verify_bundle(source: Path | IO[bytes], key: NoteVerifier) -> BundleReport:
    """Check a bundle against the verifier key the auditor holds."""
    with collector_paused():
        return _verify_bundle(source, key)


def _verify_bundle(source: Path | IO[bytes], key: NoteVerifier) -> BundleReport:
    report = BundleReport()
    try:
        raw = source.read_bytes() if isinstance(source, Path) else source.read()
        members = read_members(raw)
    except OSError as exc:
        report.fail(WHOLE_BUNDLE, f"cannot be read ({exc})")
        return report
    except ArchiveError as exc:
        report.fail(exc.member or WHOLE_BUNDLE, f"not a well-formed bundle archive ({exc})")
        return report
    for name, why in members.unreadable:
        report.fail(name, why)
    files = members.files
    checked = _check_manifest(files, report)
    if checked is None:
        return report
    manifest, matching = checked
    checkpoint = _check_checkpoint(files, key, report)
    proven = _check_events(files, checkpoint, report)
    _check_bindings(files, manifest, matching, proven, report)
    return report


# --- manifest and file hashes ---------------------------------------------------------


def _check_manifest(
    files: dict[str, bytes], report: BundleReport
) -> tuple[dict[str, Any], set[str]] | None:
    """The manifest, and the listed files whose content hashes to the SHA-256 it lists."""
    raw = files.get(MANIFEST)
    if raw is None:
        report.fail(MANIFEST, "missing")
        return None
    try:
        manifest = orjson.loads(raw)
        listed = manifest["files"]
        report.framework = str(manifest["framework"])
        window = manifest["window"]
        report.window = (str(window["from"]), str(window["to"]))
        str(manifest["generated_at"])
        # a JSON object's keys are strings: only the values need a look
        if not isinstance(listed, dict) or not set(map(type, listed.values())) <= {str}:
            raise TypeError("files is not a map of path to SHA-256")
    except (ValueError, KeyError, TypeError) as exc:
        report.fail(MANIFEST, f"malformed ({exc})")
        return None
    matching = _matching(files, listed)
    report.files_checked += len(listed)
    unlisted = PROOF_FILES | {MANIFEST}
    missing = sorted(PROOF_FILES - files.keys())
    # the usual case, counted rather than compared as sets of 20,000 paths: every listed
    # file is there and matches, none of them is unlisted, and nothing else is there
    present = sum(path in files for path in unlisted)
    if len(matching) == len(listed) == len(files) - present and not matching & unlisted:
        for path in missing:
            report.fail(path, "missing")
        return dict(manifest), matching
    for path in sorted(listed.keys() - matching):
        digest = listed[path]
        if path in PROOF_FILES or path == MANIFEST:
            report.fail(path, "the manifest must not list itself or the audit proof files")
        elif path not in files:
            report.fail(path, "listed in the manifest but missing from the bundle")
        elif not SHA256_HEX.fullmatch(digest):
            report.fail(path, "the manifest's SHA-256 for it is malformed")
        else:
            report.fail(path, "content does not match its SHA-256 in the manifest")
    for path in sorted(matching & unlisted):
        report.fail(path, "the manifest must not list itself or the audit proof files")
    for path in sorted(files.keys() - listed.keys() - unlisted):
        report.fail(path, "not listed in the manifest (added file)")
    for path in missing:
        report.fail(path, "missing")
    matching -= unlisted  # our own set: no copy of 20,000 paths
    return dict(manifest), matching


def _matching(files: dict[str, bytes], listed: dict[str, str]) -> set[str]:
    """The listed paths present whose content hashes to the SHA-256 the manifest lists."""
    paths = list(listed)
    contents = list(map(files.get, paths))
    sha256 = hashlib.sha256
    if None not in contents:  # the usual case: every listed file is there
        digests = [sha256(content).hexdigest() for content in cast(list[bytes], contents)]
        if digests == list(listed.values()):
            return set(paths)
    return {
        path
        for path, content in zip(paths, contents, strict=True)
        if content is not None and sha256(content).hexdigest() == listed[path]
    }


# --- checkpoint -----------------------------------------------------------------------


def _check_checkpoint(
    files: dict[str, bytes], key: NoteVerifier, report: BundleReport
) -> CheckpointBody | None:
    held = key.encode() + "\n"
    public = files.get(PUBLIC_KEY)
    if public is not None and public != held.encode():
        report.fail(PUBLIC_KEY, "differs from the verifier key you hold")
    raw = files.get(CHECKPOINT)
    if raw is None:
        return None
    try:
        note = raw.decode("utf-8")
        body = open_checkpoint(note, key)
    except (UnicodeDecodeError, AuditIntegrityError) as exc:
        report.fail(CHECKPOINT, f"does not verify with your key ({exc})")
        return None
    signatures = note.partition("\n\n")[2]
    if signatures.count("\n") != 1:
        report.fail(CHECKPOINT, "carries signature lines beyond the log's own")
    report.tree_size = body.tree_size
    return body


# --- events and proofs ----------------------------------------------------------------


def _parse_proofs(
    files: dict[str, bytes], report: BundleReport
) -> tuple[int, dict[int, bytes | None]]:
    raw = files.get(PROOFS)
    if raw is None:
        return -1, {}
    try:
        return parse_proofs(raw)
    except SpellingError as exc:
        report.fail(PROOFS, f"malformed ({exc})")
        return -1, {}


def _check_events(
    files: dict[str, bytes], checkpoint: CheckpointBody | None, report: BundleReport
) -> _Proven:
    proven = _Proven()
    size, proofs = _parse_proofs(files, report)
    if checkpoint is not None and size not in (-1, checkpoint.tree_size):
        expected = checkpoint.tree_size
        report.fail(PROOFS, f"proofs are for tree size {size}, the checkpoint's is {expected}")
        checkpoint = None
    raw = files.get(EVENTS)
    if raw is None:
        return proven
    at_once = _events_at_once(raw, proofs, checkpoint)
    if at_once is not None:
        indices, canonical = at_once
        report.events_checked += len(indices)
        _note_events(zip(indices, canonical, strict=True), proven)
        return proven
    listed = _listed_line_by_line(raw, proofs, report)
    _note_events(_proven_events(listed, checkpoint, report), proven)
    return proven


Listed = list[tuple[int, bytes, bytes, bytes]]  # index, canonical, leaf hash, proof


def _events_at_once(
    raw: bytes, proofs: dict[int, bytes | None], checkpoint: CheckpointBody | None
) -> tuple[list[int], list[bytes]] | None:
    """The usual bundle, checked in bulk: every line well spelled, in index order, each
    with a proof and none left over, and every proof reaching the checkpoint's root. The
    events' indices and canonical bytes; None otherwise (then the line-by-line reading and
    the proof-by-proof check name every problem)."""
    lines = event_lines_at_once(raw) if checkpoint is not None else None
    if checkpoint is None or lines is None:
        return None
    indices, canonical = lines
    found = list(map(proofs.get, indices))
    if len(proofs) != len(indices) or None in found:
        return None
    sha256 = hashlib.sha256
    leaves = [sha256(b"\x00" + event).digest() for event in canonical]
    size, root = checkpoint.tree_size, checkpoint.root_hash
    if not verify_in_order(size, root, indices, leaves, cast(list[bytes], found)):
        return None  # also an index out of order, or listed twice
    return lines


def _listed_line_by_line(
    raw: bytes, proofs: dict[int, bytes | None], report: BundleReport
) -> Listed:
    seen: set[int] = set()
    listed: Listed = []
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        parsed = parse_event_line(line)
        if parsed is None:
            report.fail(EVENTS, f"line {number} is malformed or not in its canonical spelling")
            continue
        index, canonical = parsed
        report.events_checked += 1
        if index in seen:
            report.fail(EVENTS, f"event {index} is listed twice")
            continue
        seen.add(index)
        proof = proofs.get(index)
        if proof is None:
            report.fail(PROOFS, f"no well-formed inclusion proof for event {index}")
            continue
        listed.append((index, canonical, leaf_hash(canonical), proof))
    for extra in sorted(proofs.keys() - seen):
        report.fail(PROOFS, f"a proof for event {extra}, which the bundle does not list")
    return listed


def _proven_events(
    listed: Listed,
    checkpoint: CheckpointBody | None,
    report: BundleReport,
) -> list[tuple[int, bytes]]:
    """The events whose proofs reach the checkpoint's root: all of them at once when the
    fast check passes (the usual case), else proof by proof, naming each that fails."""
    if checkpoint is not None and verify_at_once(
        checkpoint.tree_size,
        checkpoint.root_hash,
        [(index, leaf, proof) for index, _, leaf, proof in listed],
    ):
        return [(index, canonical) for index, canonical, _, _ in listed]
    paths = SharedPaths(checkpoint.tree_size, checkpoint.root_hash) if checkpoint else None
    proven = []
    for index, canonical, leaf, proof in listed:
        hashes = [proof[at : at + HASH] for at in range(0, len(proof), HASH)]
        if paths is None or not paths.verify(index, leaf, hashes):
            # offline nothing tells whether the event or its proof was altered: name both
            message = f"event {index} and its proof do not reach the checkpoint's root"
            report.fail(EVENTS, message)
            report.fail(PROOFS, message)
            continue
        proven.append((index, canonical))
    return proven


def _note_events(events: Iterable[tuple[int, bytes]], proven: _Proven) -> None:
    """Note what the proven events record: evidence hashes, and the manifest's digest."""
    for index, canonical in events:
        try:
            event = orjson.loads(canonical)
            kind, details, target = event["type"], event["details"], event["target"]
        except (ValueError, KeyError, TypeError):
            continue
        if type(details) is not dict or type(target) is not dict:
            continue
        if kind == EVIDENCE_EVENT:
            sha256 = details.get("sha256")
            if type(sha256) is str:
                proven.evidence.setdefault(sha256, []).append(index)
        elif kind == BUNDLE_EVENT and target.get("type") == BUNDLE_TARGET:
            digest = details.get(MANIFEST_DIGEST_KEY)
            if type(digest) is str:
                proven.manifests.add(digest)


# --- bindings: manifest and evidence to proven events --------------------------------


def _check_bindings(
    files: dict[str, bytes],
    manifest: dict[str, Any],
    matching: set[str],
    proven: _Proven,
    report: BundleReport,
) -> None:
    digest = hashlib.sha256(files[MANIFEST]).hexdigest()
    if digest not in proven.manifests:
        report.fail(MANIFEST, "its SHA-256 is not recorded by any proven audit event")
    window = _window(manifest)
    listed: dict[str, str] = manifest["files"]
    items = _evidence_items(listed)
    report.evidence_items += len(items)
    if window is not None and _bindings_hold(
        files, listed, matching=matching, proven=proven, items=items, window=window
    ):
        return
    get = files.get
    for path in items:
        sha256 = path[len(EVIDENCE_DIR) :]
        content = get(path)
        # a file that matched its manifest hash hashes to it: no second hash of the content
        known = listed[path] if path in matching else None
        if content is not None and (known or hashlib.sha256(content).hexdigest()) != sha256:
            report.fail(path, "content does not hash to its name")
        if sha256 not in proven.evidence:
            report.fail(path, "no proven evidence_collected event records this item's hash")
        meta_path = path + ".json"
        meta = get(meta_path)
        if meta is None:
            report.fail(meta_path, "missing (every evidence item has its metadata)")
        elif window is not None and not _collected_within(meta, window):
            report.fail(meta_path, "collected outside the bundle's window")
    unlisted = proven.evidence.keys() - {path[len(EVIDENCE_DIR) :] for path in items}
    for sha256 in sorted(unlisted):
        path = f"{EVIDENCE_DIR}{sha256}"
        report.fail(path, "an evidence event records it but the bundle lacks it")


def _bindings_hold(
    files: dict[str, bytes],
    listed: dict[str, str],
    *,
    matching: set[str],
    proven: _Proven,
    items: list[str],
    window: tuple[datetime, datetime],
) -> bool:
    """True when the loop above would find nothing, checked item-wise in bulk: every item
    matched its manifest hash and is named by it, the proven evidence events record
    exactly the items, and every item's metadata is there, collected inside the window."""
    names = [path[len(EVIDENCE_DIR) :] for path in items]
    if not matching.issuperset(items) or [listed[path] for path in items] != names:
        return False
    if proven.evidence.keys() != set(names):
        return False
    metas = list(map(files.get, [path + ".json" for path in items]))
    if None in metas:
        return False
    try:
        collected = [orjson.loads(meta)["collected_at"] for meta in cast(list[bytes], metas)]
        moments = list(map(datetime.fromisoformat, collected))
        # a moment without an offset cannot be compared with the window's: TypeError
        return not moments or (window[0] <= min(moments) and max(moments) < window[1])
    except (ValueError, KeyError, TypeError):
        return False


def _evidence_items(listed: Iterable[str]) -> list[str]:
    """The evidence items the manifest lists: ``evidence/<sha256>``, in path order."""
    size = len(EVIDENCE_DIR) + 64
    paths = sorted([path for path in listed if len(path) == size and path.startswith(EVIDENCE_DIR)])
    names = "".join([path[len(EVIDENCE_DIR) :] for path in paths])
    if names.isascii() and not names.encode().translate(None, LOWER_HEX):
        return paths  # the usual case: every such path names a SHA-256, checked at once
    return [path for path in paths if SHA256_HEX.fullmatch(path, len(EVIDENCE_DIR))]


def _window(manifest: dict[str, Any]) -> tuple[datetime, datetime] | None:
    try:
        window = manifest["window"]
        return _moment(window["from"]), _moment(window["to"])
    except (ValueError, KeyError, TypeError):
        return None


def _moment(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))  # Python 3.11 reads a "Z" offset itself
    if moment.tzinfo is None:
        raise ValueError("a window bound without an offset")
    return moment


def _collected_within(raw: bytes, window: tuple[datetime, datetime]) -> bool:
    try:
        collected = _moment(orjson.loads(raw)["collected_at"])
    except (ValueError, KeyError, TypeError):
        return False
    return window[0] <= collected < window[1]
