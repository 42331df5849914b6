"""Prometheus metrics at `/actuator/prometheus` (Spring Boot Actuator's path and Micrometer's
names where one exists), one registry per app so apps in one test process never share counters.

Requests are labelled by route template (`/api/customers/{customer_id}`), never by the raw path:
the number of series stays bounded whatever clients send. The endpoint is for the inside of the
network only; no edge routes /actuator/* (the catalogue's routing table sends only /api/ paths to
services, and tests check each edge).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from netflux_catalogue import METRICS_PATH

PATH = METRICS_PATH
# For a request no route matched (a 404, or one the protocol guard refused): one series, not one
# per path a scanner tries.
UNMATCHED = "UNMATCHED"
# Seconds; from a cached page (~1 ms) up to the movie-service deadline (3 s) and beyond.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PoolCollector(Collector):
    """Database pool usage, read when scraped (nothing is counted per request)."""

    def __init__(self) -> None:
        self._pools: dict[str, AsyncEngine] = {}

    def watch(self, name: str, engine: AsyncEngine) -> None:
        self._pools[name] = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        checked_out = GaugeMetricFamily(
            "db_pool_connections_checked_out", "Connections in use", labels=["pool"]
        )
        idle = GaugeMetricFamily("db_pool_connections_idle", "Open connections", labels=["pool"])
        size = GaugeMetricFamily(
            "db_pool_size", "Connections the pool keeps (its ceiling here)", labels=["pool"]
        )
        overflow = GaugeMetricFamily(
            "db_pool_connections_overflow", "Connections above the pool size", labels=["pool"]
        )
        for name, engine in self._pools.items():
            pool = engine.pool
            if not isinstance(pool, QueuePool):
                continue
            checked_out.add_metric([name], pool.checkedout())
            idle.add_metric([name], pool.checkedin())
            size.add_metric([name], pool.size())
            # QueuePool counts overflow from -size up; below zero means "not full yet".
            overflow.add_metric([name], max(0, pool.overflow()))
        yield from (checked_out, idle, size, overflow)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "http_server_requests_seconds",
            "HTTP requests by method, route template and status",
            ["method", "uri", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.pools = PoolCollector()
        self.registry.register(self.pools)

    def observe_request(self, method: str, uri: str, status: int, seconds: float) -> None:
        self.requests.labels(method, uri, str(status)).observe(seconds)

    def register(self, collectors: Iterable[Collector]) -> None:
        for collector in collectors:
            self.registry.register(collector)


router = APIRouter(tags=["health"])


@router.get(PATH, include_in_schema=False)
async def prometheus(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
