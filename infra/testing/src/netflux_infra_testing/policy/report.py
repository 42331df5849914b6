"""The expectation table as text or Markdown (the CLI's output, docs/access.md's tables)."""

from __future__ import annotations

from collections.abc import Sequence

from netflux_infra_testing.policy.documents import Documents
from netflux_infra_testing.policy.tables import Expectation, verdict


def short(arn: str) -> str:
    """The part of an ARN a reader needs (`service/netflux-prod/movie-service`)."""
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 and parts[5] else arn


def table(documents: Documents, rows: Sequence[Expectation], markdown: bool) -> tuple[str, int]:
    header = ("who", "action", "resource", "context", "expected", "evaluated")
    lines, wrong = [], 0
    for row in rows:
        decision = row.decide(documents)
        wrong += decision.allowed != row.allowed
        context = ", ".join(f"{k}={v}" for k, v in row.context.items()) or "-"
        evaluated = verdict(decision.allowed) + ("" if decision.allowed == row.allowed else " !!")
        lines.append(
            (row.who[1], row.action, short(row.resource), context, verdict(row.allowed), evaluated)
        )
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        out += ["| " + " | ".join(f"`{c}`" if i < 3 else c for i, c in enumerate(line)) + " |"
                for line in lines]  # fmt: skip
        return "\n".join(out), wrong
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=False)]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True))
        for line in (header, *lines)
    ), wrong
