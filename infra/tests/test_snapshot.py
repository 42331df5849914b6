"""The synthesized Terraform of every stack, pinned: a refactor must not change what is deployed.

Terraform addresses (logical ids) are part of the snapshot on purpose: a changed address makes
Terraform destroy and re-create the resource (the database included). Only cdktf's `//` metadata
(construct paths, which Terraform ignores) is left out.

After an intended change, rewrite the snapshots and review the diff like code:

    NETFLUX_UPDATE_SNAPSHOTS=1 uv run pytest infra/tests/test_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from netflux_infra_testing.synthesized import Stack

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("NETFLUX_UPDATE_SNAPSHOTS") == "1"


CONTENT_DERIVED = (
    (re.compile(r"(assets/[^/]+/)[0-9A-F]{32}/"), r"\1<content hash>/"),
    (re.compile(r'("name": "INIT_SQL_B64", "value": ")[A-Za-z0-9+/=]+"'), r'\1<init.sql>"'),
)


def normalised(node: Any) -> Any:
    """The JSON without cdktf's `//` metadata and content hashes, keys sorted."""
    if isinstance(node, dict):
        return {k: normalised(v) for k, v in sorted(node.items()) if k != "//"}
    if isinstance(node, list):
        return [normalised(v) for v in node]
    if isinstance(node, str):
        for pattern, replacement in CONTENT_DERIVED:
            node = pattern.sub(replacement, node)
    return node


def as_text(stack: Stack) -> str:
    return json.dumps(normalised(stack.json), indent=1, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", ["staging", "prod", "pipeline", "access"])
def test_synthesized_terraform_matches_snapshot(name: str, stacks: dict[str, Stack]) -> None:
    actual = as_text(stacks[name])
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE:
        path.write_text(actual)
        pytest.skip(f"rewrote {path.name}")
    expected = path.read_text()
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "snapshot", "synthesized", lineterm="", n=2
        )
        shown = "\n".join(list(diff)[:80])
        pytest.fail(f"{name}: synthesized Terraform differs from {path.name}:\n{shown}")


def test_normalisation_keeps_terraform_addresses() -> None:
    raw = {"resource": {"aws_lb": {"edge_alb_C6312A24": {"//": {"metadata": {}}, "name": "x"}}}}
    assert normalised(raw) == {"resource": {"aws_lb": {"edge_alb_C6312A24": {"name": "x"}}}}


def test_normalisation_hides_only_content_hashes() -> None:
    source = "assets/edge_web_B7EBC5BD/98EAA6864FEA08E75A7FAEA208860150/app.js"
    task = '[{"name": "INIT_SQL_B64", "value": "LS0gaW5pdA=="}, {"name": "PGHOST"}]'

    assert normalised(source) == "assets/edge_web_B7EBC5BD/<content hash>/app.js"
    assert (
        normalised(task) == '[{"name": "INIT_SQL_B64", "value": "<init.sql>"}, {"name": "PGHOST"}]'
    )
    assert normalised("edge_alb_C6312A24") == "edge_alb_C6312A24"
