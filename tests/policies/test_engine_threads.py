"""regorus engines are unsendable: one freed on another thread is leaked with an
unraisable ``RuntimeError``. A bundle that fails to compile must not leave its engine in
the error it raises, which may be collected anywhere."""

from __future__ import annotations

import gc
import sys
import threading
from typing import Any

import pytest

from policies import RegorusEngine
from policies.engines.regorus import ENGINES_PER_THREAD
from policies.errors import BundleError, EvaluationError
from policies.source import BundleFiles

BROKEN = BundleFiles(modules={"broken.rego": "package broken\n\nallow if {\n"})


def _collect_on_another_thread() -> list[BaseException | None]:
    """Garbage-collect on a fresh thread; the unraisable errors that collection raised."""
    raised: list[BaseException | None] = []
    before = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        raised.append(unraisable.exc_value)

    sys.unraisablehook = hook
    try:
        collector = threading.Thread(target=gc.collect)
        collector.start()
        collector.join()
    finally:
        sys.unraisablehook = before
    return raised


def test_a_bundle_that_does_not_compile_leaves_no_engine_in_its_error() -> None:
    gc.collect()
    with pytest.raises(BundleError) as caught:
        RegorusEngine(BROKEN)
    kept: list[Any] = [caught.value]
    kept.append(kept)  # the error in a reference cycle: only a collection frees it
    del caught, kept
    assert _collect_on_another_thread() == []


GOOD = BundleFiles(modules={"good.rego": "package good\n\nallow if input.ok\n"})


def test_an_evaluation_error_leaves_no_engine_in_its_frames() -> None:
    """The engine that failed is later evicted from its thread's cache: the error kept
    elsewhere must not be what frees it."""
    gc.collect()
    engine = RegorusEngine(GOOD)
    with pytest.raises(EvaluationError) as caught:
        engine.evaluate("data.good[", {"ok": True})
    kept: list[Any] = [caught.value]
    kept.append(kept)
    del caught, kept, engine
    for _ in range(ENGINES_PER_THREAD):  # newer revisions push the failed one's engine out
        RegorusEngine(GOOD)
    assert _collect_on_another_thread() == []
