from __future__ import annotations

from collections.abc import Iterator

import pytest

from audit import InMemoryAuditLog
from policies import (
    CountingMetrics,
    DecisionLogger,
    DecisionService,
    RegorusEngine,
    StaticEngineSource,
    load_bundle_dir,
)

ENGINE = RegorusEngine(load_bundle_dir())


@pytest.fixture
def audit_log() -> InMemoryAuditLog:
    return InMemoryAuditLog()


@pytest.fixture
def metrics() -> CountingMetrics:
    return CountingMetrics()


@pytest.fixture
def decision_logger(audit_log: InMemoryAuditLog) -> Iterator[DecisionLogger]:
    logger = DecisionLogger(audit_log, retry_seconds=0.01)
    yield logger
    audit_log.fail = False
    logger.close()


@pytest.fixture
def service(decision_logger: DecisionLogger, metrics: CountingMetrics) -> DecisionService:
    return DecisionService(
        StaticEngineSource(ENGINE), decision_logger, metrics=metrics, timeout_seconds=5
    )
