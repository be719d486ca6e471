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

import base64
import binascii
import hashlib
import json
import re
import zipfile
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from audit import (
    AuditIntegrityError,
    CheckpointBody,
    NoteVerifier,
    leaf_hash,
    node_hash,
    open_checkpoint,
)
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
    compact_json_bytes,
    event_line,
    evidence_meta_path,
)
from reports.errors import BundleFormatError

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
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
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        report.fail(WHOLE_BUNDLE, f"not a readable zip archive ({exc})")
        return report
    with archive:
        files = _read_all(archive, report)
    manifest = _check_manifest(files, report)
    if manifest is None:
        return report
    checkpoint = _check_checkpoint(files, key, report)
    proven = _check_events(files, checkpoint, report)
    _check_bindings(files, manifest, proven, report)
    return report


# --- reading --------------------------------------------------------------------------


def _read_all(archive: zipfile.ZipFile, report: BundleReport) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for info in archive.infolist():
        name = info.filename
        if info.is_dir():
            continue
        if name in files:
            report.fail(name, "appears more than once in the archive")
            continue
        try:
            files[name] = archive.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            report.fail(name, f"cannot be read from the archive ({exc})")
    return files


# --- manifest and file hashes ---------------------------------------------------------


def _check_manifest(files: dict[str, bytes], report: BundleReport) -> dict[str, Any] | None:
    raw = files.get(MANIFEST)
    if raw is None:
        report.fail(MANIFEST, "missing")
        return None
    try:
        manifest = json.loads(raw)
        listed = manifest["files"]
        report.framework = str(manifest["framework"])
        window = manifest["window"]
        report.window = (str(window["from"]), str(window["to"]))
        str(manifest["generated_at"])
        if not isinstance(listed, dict) or not all(
            isinstance(path, str) and isinstance(digest, str) for path, digest in listed.items()
        ):
            raise TypeError("files is not a map of path to SHA-256")
    except (ValueError, KeyError, TypeError) as exc:
        report.fail(MANIFEST, f"malformed ({exc})")
        return None
    for path, digest in sorted(listed.items()):
        report.files_checked += 1
        if path in PROOF_FILES or path == MANIFEST:
            report.fail(path, "the manifest must not list itself or the audit proof files")
        elif path not in files:
            report.fail(path, "listed in the manifest but missing from the bundle")
        elif not SHA256_HEX.fullmatch(digest):
            report.fail(path, "the manifest's SHA-256 for it is malformed")
        elif hashlib.sha256(files[path]).hexdigest() != digest:
            report.fail(path, "content does not match its SHA-256 in the manifest")
    for path in sorted(files):
        if path not in listed and path != MANIFEST and path not in PROOF_FILES:
            report.fail(path, "not listed in the manifest (added file)")
    for path in sorted(PROOF_FILES):
        if path not in files:
            report.fail(path, "missing")
    return dict(manifest)


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


def _parse_proofs(files: dict[str, bytes], report: BundleReport) -> tuple[int, dict[str, Any]]:
    raw = files.get(PROOFS)
    if raw is None:
        return -1, {}
    try:
        document = json.loads(raw)
        size, proofs = document["tree_size"], document["proofs"]
        if not isinstance(size, int) or not isinstance(proofs, dict):
            raise TypeError("tree_size is not an integer or proofs is not a map")
        if compact_json_bytes(document) != raw or set(document) != {"tree_size", "proofs"}:
            raise ValueError("not in its canonical spelling")
    except (ValueError, KeyError, TypeError) as exc:
        report.fail(PROOFS, f"malformed ({exc})")
        return -1, {}
    return size, proofs


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
    seen: set[int] = set()
    listed: list[tuple[int, bytes, bytes, list[bytes]]] = []  # index, canonical, leaf, proof
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        parsed = _parse_event_line(line)
        if parsed is None:
            report.fail(EVENTS, f"line {number} is malformed or not in its canonical spelling")
            continue
        index, canonical = parsed
        report.events_checked += 1
        if index in seen:
            report.fail(EVENTS, f"event {index} is listed twice")
            continue
        seen.add(index)
        hashes = _proof_hashes(proofs.get(str(index)))
        if hashes is None:
            report.fail(PROOFS, f"no well-formed inclusion proof for event {index}")
            continue
        listed.append((index, canonical, leaf_hash(canonical), hashes))
    for index, canonical in _proven_events(listed, checkpoint, report):
        _note_event(canonical, index, proven)
    for extra in sorted(set(proofs) - {str(index) for index in seen}):
        report.fail(PROOFS, f"a proof for event {extra}, which the bundle does not list")
    return proven


def _proven_events(
    listed: Sequence[tuple[int, bytes, bytes, list[bytes]]],
    checkpoint: CheckpointBody | None,
    report: BundleReport,
) -> list[tuple[int, bytes]]:
    """The events whose proofs reach the checkpoint's root: all of them at once when the
    batch check passes (the usual case), else proof by proof, naming each that fails."""
    if checkpoint is not None and batch_verify(
        checkpoint.tree_size,
        checkpoint.root_hash,
        {index: (leaf, proof) for index, _, leaf, proof in listed},
    ):
        return [(index, canonical) for index, canonical, _, _ in listed]
    paths = SharedPaths(checkpoint.tree_size, checkpoint.root_hash) if checkpoint else None
    proven = []
    for index, canonical, leaf, proof in listed:
        if paths is None or not paths.verify(index, leaf, proof):
            # offline nothing tells whether the event or its proof was altered: name both
            message = f"event {index} and its proof do not reach the checkpoint's root"
            report.fail(EVENTS, message)
            report.fail(PROOFS, message)
            continue
        proven.append((index, canonical))
    return proven


EVENT_LINE = re.compile(rb'\{"canonical":"([A-Za-z0-9+/]*={0,2})","index":(0|[1-9][0-9]{0,18})\}\n')


def _parse_event_line(line: bytes) -> tuple[int, bytes] | None:
    """``{"canonical":"<base64>","index":<n>}`` and a newline, in exactly that spelling."""
    match = EVENT_LINE.fullmatch(line)
    if match is None:
        return None
    try:
        canonical = base64.b64decode(match.group(1), validate=True)
    except (ValueError, binascii.Error):
        return None
    index = int(match.group(2))
    if event_line(index, canonical) != line:  # base64 has one spelling of these bytes
        return None
    return index, canonical


def _proof_hashes(value: Any) -> list[bytes] | None:
    if not isinstance(value, list):
        return None
    try:
        hashes = [bytes.fromhex(item) for item in value]
    except (TypeError, ValueError):
        return None
    if any(len(item) != 32 for item in hashes):
        return None
    return hashes


def _note_event(canonical: bytes, index: int, proven: _Proven) -> None:
    try:
        event = json.loads(canonical)
        kind, details, target = event["type"], event["details"], event["target"]
    except (ValueError, KeyError, TypeError):
        return
    if not isinstance(details, dict) or not isinstance(target, dict):
        return
    if kind == EVIDENCE_EVENT and isinstance(details.get("sha256"), str):
        proven.evidence.setdefault(details["sha256"], []).append(index)
    digest = details.get(MANIFEST_DIGEST_KEY)
    if kind == BUNDLE_EVENT and target.get("type") == BUNDLE_TARGET and isinstance(digest, str):
        proven.manifests.add(digest)


class SharedPaths:
    """Inclusion proofs of many leaves against one root (RFC 9162 2.1.3.2), sharing work.

    The tree over ``size`` leaves splits as RFC 6962 defines; every node is the hash of a
    leaf range. Walking up from a leaf, a range already proven to lead to the root (on an
    earlier path, or as a sibling on one) ends the walk: the node computed must equal it.
    Any mismatch, a proof of the wrong length or an index outside the tree fails.
    """

    def __init__(self, size: int, root: bytes) -> None:
        self.size = size
        self.known: dict[tuple[int, int], bytes] = {(0, size): root}

    def verify(self, index: int, leaf: bytes, proof: Sequence[bytes]) -> bool:
        if not 0 <= index < self.size:
            return False
        steps = self._steps(index)
        if len(steps) != len(proof):
            return False
        known = self.known
        learned: list[tuple[tuple[int, int], bytes]] = []
        current, node = (index, index + 1), leaf
        for level, (parent, sibling, left) in enumerate(steps):
            proven = known.get(current)
            if proven is not None:
                # the rest of the path is proven: the rest of the proof must be exactly it
                rest = zip(steps[level:], proof[level:], strict=True)
                if proven != node or any(known.get(step[1]) != h for step, h in rest):
                    return False
                break
            sibling_hash = proof[level]
            learned.append((current, node))
            learned.append((sibling, sibling_hash))
            node = node_hash(node, sibling_hash) if left else node_hash(sibling_hash, node)
            current = parent
        else:
            if known[current] != node:  # current is the whole tree: the signed root
                return False
        known.update(learned)
        return True

    def _steps(self, index: int) -> list[tuple[tuple[int, int], tuple[int, int], bool]]:
        """Leaf-side first: (parent range, sibling range, is the path's node the left one)."""
        steps = []
        start, end = 0, self.size
        while end - start > 1:
            k = 1 << ((end - start - 1).bit_length() - 1)
            if index - start < k:
                steps.append(((start, end), (start + k, end), True))
                end = start + k
            else:
                steps.append(((start, end), (start, start + k), False))
                start += k
        steps.reverse()
        return steps


def batch_verify(
    size: int, root: bytes, leaves: Mapping[int, tuple[bytes, Sequence[bytes]]]
) -> bool:
    """All inclusion proofs at once: the root rebuilt from every listed leaf (RFC 6962's
    split, visiting only subtrees that hold a listed leaf). A subtree without a listed leaf
    is taken from the proofs that need it, which must all name the same hash; a subtree
    with one is computed and must equal what every proof through its sibling names; every
    proof must have its leaf's depth. True only if all of that holds and the rebuilt root
    is the signed one: then each proof, checked alone, would verify too. False says only
    that some proof fails; ``SharedPaths`` then finds which."""
    if not leaves:
        return True
    indices = sorted(leaves)
    if indices[0] < 0 or indices[-1] >= size:
        return False
    proofs = [leaves[index][1] for index in indices]
    sound = [True]

    def named(lo: int, hi: int, depth: int) -> bytes | None:
        """The one hash proofs[lo:hi] name for the sibling at ``depth`` (None: not one)."""
        first = proofs[lo]
        position = len(first) - 1 - depth
        if position < 0:
            return None
        value = first[position]
        for proof in proofs[lo + 1 : hi]:
            position = len(proof) - 1 - depth
            if position < 0 or proof[position] != value:
                return None
        return value

    def subtree(start: int, end: int, lo: int, hi: int, depth: int) -> bytes:
        if end - start == 1:
            leaf, proof = leaves[start]
            if len(proof) != depth:
                sound[0] = False
            return leaf
        mid = start + (1 << ((end - start - 1).bit_length() - 1))
        split = bisect_left(indices, mid, lo, hi)
        left: bytes | None
        right: bytes | None
        if split == hi:
            left, right = subtree(start, mid, lo, hi, depth + 1), named(lo, hi, depth)
        elif split == lo:
            left, right = named(lo, hi, depth), subtree(mid, end, lo, hi, depth + 1)
        else:
            left = subtree(start, mid, lo, split, depth + 1)
            right = subtree(mid, end, split, hi, depth + 1)
            if named(lo, split, depth) != right or named(split, hi, depth) != left:
                sound[0] = False
        if left is None or right is None:
            sound[0] = False
            return b""
        return node_hash(left, right)

    rebuilt = subtree(0, size, 0, len(indices), 0)
    return sound[0] and rebuilt == root


# --- bindings: manifest and evidence to proven events --------------------------------


def _check_bindings(
    files: dict[str, bytes], manifest: dict[str, Any], proven: _Proven, report: BundleReport
) -> None:
    digest = hashlib.sha256(files[MANIFEST]).hexdigest()
    if digest not in proven.manifests:
        report.fail(MANIFEST, "its SHA-256 is not recorded by any proven audit event")
    window = _window(manifest)
    for path in _evidence_items(manifest["files"]):
        sha256 = path[len(EVIDENCE_DIR) :]
        report.evidence_items += 1
        content = files.get(path)
        if content is not None and hashlib.sha256(content).hexdigest() != sha256:
            report.fail(path, "content does not hash to its name")
        if sha256 not in proven.evidence:
            report.fail(path, "no proven evidence_collected event records this item's hash")
        meta_path = evidence_meta_path(sha256)
        if meta_path not in files:
            report.fail(meta_path, "missing (every evidence item has its metadata)")
        elif window is not None and not _collected_within(files[meta_path], window):
            report.fail(meta_path, "collected outside the bundle's window")
    listed = set(_evidence_items(manifest["files"]))
    for sha256 in sorted(proven.evidence):
        path = f"{EVIDENCE_DIR}{sha256}"
        if path not in listed:
            report.fail(path, "an evidence event records it but the bundle lacks it")


def _evidence_items(listed: Iterable[str]) -> list[str]:
    return sorted(
        path
        for path in listed
        if path.startswith(EVIDENCE_DIR) and SHA256_HEX.fullmatch(path[len(EVIDENCE_DIR) :])
    )


def _window(manifest: dict[str, Any]) -> tuple[datetime, datetime] | None:
    try:
        window = manifest["window"]
        return _moment(window["from"]), _moment(window["to"])
    except (ValueError, KeyError, TypeError):
        return None


def _moment(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a window bound without an offset")
    return moment


def _collected_within(raw: bytes, window: tuple[datetime, datetime]) -> bool:
    try:
        collected = _moment(json.loads(raw)["collected_at"])
    except (ValueError, KeyError, TypeError):
        return False
    return window[0] <= collected < window[1]
