"""Embedded engine: regorus, compiled once per bundle revision, cloned per thread."""

from __future__ import annotations

import itertools
import json
import re
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import regorus

from policies.engines.port import UNDEFINED, Evaluation
from policies.errors import EvaluationError
from policies.source import BundleFiles
from policies.testing import compile_engine, engine_error_message

_PACKAGE = re.compile(r"^package\s+([A-Za-z0-9_.]+)", re.MULTILINE)
_RULE_HEAD = re.compile(
    r"^(?!package\b|import\b)(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE
)


def rule_paths(files: BundleFiles) -> frozenset[str]:
    """``data.<package>.<rule>`` of every top-level rule (fast ``eval_rule`` path).

    Other queries (packages, data documents, unknown names) go through ``eval_query``:
    regorus reports an unknown rule path as an error, which is slow to build.
    """
    paths: set[str] = set()
    for source in files.policy_modules().values():
        package = _PACKAGE.search(source)
        if package is None:
            continue
        for match in _RULE_HEAD.finditer(source):
            paths.add(f"data.{package.group(1)}.{match.group(1)}")
    return frozenset(paths)


_DATA_PATH = re.compile(r"^data(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def _input_json(document: Mapping[str, Any]) -> str:
    """The input as JSON text for ``set_input_json``.

    Serialising (C speed) is also the input check: ``str.encode`` refuses a lone UTF-16
    surrogate, which regorus would crash the process on, and ``json.dumps`` refuses what is
    not JSON. Cheaper than walking the document in Python and converting it through pyo3.
    """
    try:
        text = json.dumps(document, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EvaluationError("the input holds a string with a lone UTF-16 surrogate") from exc
    except (TypeError, ValueError) as exc:
        raise EvaluationError("the input is not JSON") from exc
    return text


def batch_query(query: str) -> str:
    """One engine call for many inputs: ``query`` for each of ``input.requests``, in order.

    Each item yields ``[value]``, or ``[]`` when ``query`` is undefined for it, so an
    undefined item never shifts the others.
    """
    if not _DATA_PATH.match(query):
        raise EvaluationError("batch queries must name a data path")
    return f"[[value | value := {query} with input as item] | some item in input.requests]"


_T = TypeVar("_T")
_KEYS = itertools.count()
_THREAD_ENGINES = threading.local()
ENGINES_PER_THREAD = 4


def _thread_cache() -> OrderedDict[int, regorus.Engine]:
    cache: OrderedDict[int, regorus.Engine] | None = getattr(_THREAD_ENGINES, "cache", None)
    if cache is None:
        cache = OrderedDict()
        _THREAD_ENGINES.cache = cache
    return cache


def _keep(key: int, engine: regorus.Engine) -> None:
    """Cache on this thread; the oldest engine is dropped here, on the thread that made it."""
    cache = _thread_cache()
    cache[key] = engine
    while len(cache) > ENGINES_PER_THREAD:
        cache.popitem(last=False)


def _first_evaluation(engine: regorus.Engine) -> None:
    engine.eval_query("true")


class RegorusEngine:
    """One bundle revision on regorus.

    The bundle is compiled once per thread that evaluates it (regorus engines are
    "unsendable" Python objects: an engine, and even ``clone()``, may only be used on the
    thread that created it), then reused for every evaluation on that thread. Construction
    compiles once on the calling thread, so a broken bundle fails here, not on first use.
    The compiled engines live in a small per-thread cache (not on this object), so an old
    revision's engines are dropped by their own thread, never by whichever thread happens
    to garbage-collect this wrapper.
    """

    def __init__(self, files: BundleFiles) -> None:
        self._files = files
        self._revision = files.revision
        self._key = next(_KEYS)
        _keep(self._key, compile_engine(files, include_tests=False))
        self._rule_queries = rule_paths(files)

    @property
    def revision(self) -> str:
        return self._revision

    def _engine(self) -> regorus.Engine:
        cache = _thread_cache()
        engine = cache.get(self._key)
        if engine is None:
            engine = compile_engine(self._files, include_tests=False)
            _keep(self._key, engine)
        else:
            cache.move_to_end(self._key)
        return engine

    def ready(self) -> None:
        """Compile this revision on the calling thread and evaluate once there, unless that
        is done: a thread's first evaluation also pays for setting up the evaluator (tens
        of milliseconds on a busy machine), which is no part of any decision's cost."""
        if self._key not in _thread_cache():
            self._with_input("{}", _first_evaluation)

    def evaluate(self, query: str, input_document: Mapping[str, Any]) -> Evaluation:
        evaluate = self._eval_rule if query in self._rule_queries else self._eval_query
        return self._with_input(_input_json(input_document), lambda e: evaluate(e, query))

    def evaluate_many(
        self, query: str, input_documents: Sequence[Mapping[str, Any]]
    ) -> list[Evaluation]:
        """``query`` for every input in one ``eval_query`` (``with input as item``).

        The batch goes in as one JSON text: serialising it is also the lone-surrogate check
        (``str.encode`` refuses them), which regorus' ``set_input`` would crash on.
        """
        text = _input_json({"requests": list(input_documents)})
        batch = batch_query(query)
        answer = self._with_input(text, lambda e: json.loads(e.eval_query_as_json(batch)))
        try:
            values = answer["result"][0]["expressions"][0]["value"]
        except (KeyError, IndexError, TypeError) as exc:
            raise EvaluationError("the batch query gave no result") from exc
        if not isinstance(values, list) or len(values) != len(input_documents):
            raise EvaluationError("the batch query gave a result per input")
        return [
            Evaluation(defined=True, value=item[0])
            if isinstance(item, list) and item
            else UNDEFINED
            for item in values
        ]

    def _with_input(self, text: str, run: Callable[[regorus.Engine], _T]) -> _T:
        """``run`` on this thread's engine with ``text`` as input; any engine failure
        (Rust errors, pyo3 panics, which are BaseExceptions) is an ``EvaluationError``.

        A failure's traceback frames are cleared of their locals (this thread's engine
        among them) before it leaves: the error may be freed on another thread, and if it
        held an unsendable engine's last reference by then (evicted from this thread's
        cache), the engine would be leaked with an unraisable ``RuntimeError``."""
        try:
            return run(self._engine_for(text))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            traceback.clear_frames(exc.__traceback__)
            if isinstance(exc, EvaluationError):
                raise
            raise EvaluationError(engine_error_message(exc)) from exc

    def _engine_for(self, text: str) -> regorus.Engine:
        engine = self._engine()
        engine.set_input_json(text)
        return engine

    def _eval_rule(self, engine: regorus.Engine, query: str) -> Evaluation:
        value = json.loads(engine.eval_rule_as_json(query))
        if value is None:
            return Evaluation(defined=False)
        return Evaluation(defined=True, value=value)

    def _eval_query(self, engine: regorus.Engine, query: str) -> Evaluation:
        results = json.loads(engine.eval_query_as_json(query)).get("result", [])
        if not results:
            return Evaluation(defined=False)
        return Evaluation(defined=True, value=results[0]["expressions"][0]["value"])
