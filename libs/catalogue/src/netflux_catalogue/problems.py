"""The RFC 9457 problem document every Netflux component answers with, built in one place.

The services (netflux_common.problems), the local edges and the ALB's fixed 404 all use it, so a
client sees one shape whoever answered.
"""

from __future__ import annotations

from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Problem types are URNs: stable identifiers that docs/problems.md explains.
PROBLEM_TYPE_PREFIX = "urn:netflux:problem:"


def problem_body(
    status: int,
    title: str,
    detail: str,
    instance: str | None = None,
    *,
    slug: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """The problem members in RFC 9457's order; `slug` names the type, None means about:blank."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    return body | extensions
