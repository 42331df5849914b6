"""Reading a synthesized stack's Terraform JSON (tests, rehearsals, scripts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class Stack:
    """A synthesized stack's Terraform JSON, with look-ups that fail readably."""

    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        self.json: dict[str, Any] = json.loads((folder / "cdk.tf.json").read_text())

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        found = self.json.get("resource", {}).get(kind, {})
        assert found, f"{self.name}: no {kind} resources"
        return dict(found)

    def only(self, kind: str) -> dict[str, Any]:
        found = self.resources(kind)
        assert len(found) == 1, f"{self.name}: expected one {kind}, found {sorted(found)}"
        return next(iter(found.values()))

    def named(self, kind: str, fragment: str) -> dict[str, Any]:
        matches = [r for key, r in self.resources(kind).items() if fragment in key]
        assert len(matches) == 1, f"{self.name}: {kind} matching {fragment!r}: {len(matches)}"
        return matches[0]

    def ref(self, kind: str, fragment: str, attribute: str = "id") -> str:
        """The `${kind.key.attribute}` expression other resources use to point at one."""
        keys = [k for k in self.resources(kind) if fragment in k]
        assert len(keys) == 1, f"{self.name}: {kind} matching {fragment!r}: {keys}"
        return "${" + f"{kind}.{keys[0]}.{attribute}" + "}"
