"""trustplane's own checkov checks, loaded by checkov itself (``--external-checks-dir``).

This file runs inside checkov's interpreter (``.tools/checkov``), never trustplane's, so it
imports checkov and nothing of ours; mypy skips it (pyproject). It adds what checkov's
bundled checks leave out (issue 15, item 14):

- ``CKV_TP_<port>``: no security group opens a database, cache or search port to the
  internet (checkov ships only 22, 3389, 80 and "all ports").
- ``CKV_TP_REGION``: an AWS provider is configured only in an allowed region
  (DPDP s.16; ``TRUSTPLANE_ALLOWED_REGIONS``, comma-separated, set by the iac collector).
"""

from __future__ import annotations

import os
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.provider.base_check import BaseProviderCheck
from checkov.terraform.checks.resource.aws.AbsSecurityGroupUnrestrictedIngress import (
    AbsSecurityGroupUnrestrictedIngress,
)

# PostgreSQL, MySQL/MariaDB, SQL Server, Oracle, MongoDB (+ shard/config), Redis, Redis
# Sentinel, Elasticsearch/OpenSearch (HTTP + transport), Kibana, Memcached, Cassandra,
# CouchDB, etcd, InfluxDB, Neo4j, ClickHouse, Kafka, ZooKeeper, RabbitMQ
SERVICE_PORTS = (
    5432, 3306, 1433, 1521, 27017, 27018, 27019, 6379, 26379, 9200, 9300, 5601,
    11211, 9042, 5984, 2379, 8086, 7687, 8123, 9092, 2181, 5672,
)  # fmt: skip
DEFAULT_ALLOWED_REGIONS = "ap-south-1,ap-south-2"


class ServicePortClosed(AbsSecurityGroupUnrestrictedIngress):  # type: ignore[misc]
    def __init__(self, port: int) -> None:
        super().__init__(check_id=f"CKV_TP_{port}", port=port)
        self.name = f"Ensure no security group allows ingress from 0.0.0.0/0 to port {port}"


class ProviderRegionAllowed(BaseProviderCheck):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the AWS provider region is an allowed region (DPDP s.16)",
            id="CKV_TP_REGION",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_provider=["aws"],
        )

    def scan_provider_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        allowed = {
            region.strip()
            for region in os.environ.get(
                "TRUSTPLANE_ALLOWED_REGIONS", DEFAULT_ALLOWED_REGIONS
            ).split(",")
            if region.strip()
        }
        regions = conf.get("region")
        if not regions or not isinstance(regions[0], str) or "${" in regions[0]:
            return CheckResult.UNKNOWN  # set from a variable or the environment
        return CheckResult.PASSED if regions[0] in allowed else CheckResult.FAILED


checks = [ServicePortClosed(port) for port in SERVICE_PORTS]
check = ProviderRegionAllowed()
