"""Spring Boot Actuator-compatible health endpoints; the ALB target groups probe /actuator/health.

These answer Actuator's JSON (not problem+json) even when DOWN: load balancers, Spring tooling and
dashboards read `status`, and the shape is the contract they expect.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from netflux_catalogue import HEALTH_PATH
from netflux_common.db import DatabaseDep

log = logging.getLogger(__name__)

Status = Literal["UP", "DOWN"]


class ComponentHealth(BaseModel):
    status: Status
    details: dict[str, Any] | None = None


class Health(BaseModel):
    status: Status
    components: dict[str, ComponentHealth] | None = None


router = APIRouter(prefix=HEALTH_PATH, tags=["health"])


async def _database_health(db: DatabaseDep) -> JSONResponse:
    try:
        await db.ping()
        component = ComponentHealth(status="UP", details={"database": "PostgreSQL"})
    except Exception as exc:  # any failure means DOWN; the probe itself must never fail
        log.warning("health check: database is down: %r", exc)
        component = ComponentHealth(status="DOWN", details={"error": type(exc).__name__})
    health = Health(status=component.status, components={"db": component})
    code = HTTPStatus.OK if health.status == "UP" else HTTPStatus.SERVICE_UNAVAILABLE
    return JSONResponse(health.model_dump(exclude_none=True), status_code=code)


_documented: dict[int | str, dict[str, Any]] = {
    200: {"model": Health},
    503: {"model": Health, "description": "Database is down"},
}


@router.get("", summary="Overall health (database included)", responses=_documented)
async def health(db: DatabaseDep) -> JSONResponse:
    return await _database_health(db)


@router.get(
    "/readiness", summary="Ready to take traffic (database reachable)", responses=_documented
)
async def readiness(db: DatabaseDep) -> JSONResponse:
    return await _database_health(db)


@router.get("/liveness", summary="The process is alive", response_model=Health)
async def liveness() -> Health:
    return Health(status="UP")
