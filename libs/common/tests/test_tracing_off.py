"""Without OTEL_EXPORTER_OTLP_ENDPOINT tracing costs nothing: the OpenTelemetry SDK and the
instrumentations are not even imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
from netflux_common.app import create_service_app
from netflux_common.settings import ServiceSettings
app = create_service_app(name="t", description="t", settings=ServiceSettings(), routers=[])
print(json.dumps({
    "modules": sorted(m for m in sys.modules if m.startswith("opentelemetry")),
    "tracing": app.state.tracing is not None,
}))
"""


def probe(**env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    result: dict[str, object] = json.loads(out.splitlines()[-1])
    return result


def test_tracing_off_installs_and_imports_nothing() -> None:
    off = probe()
    assert off["tracing"] is False
    modules = off["modules"]
    assert isinstance(modules, list)
    # FastAPI itself imports the OpenTelemetry API (a no-op without an SDK); nothing more.
    assert not [m for m in modules if m.startswith(("opentelemetry.sdk", "opentelemetry.instr"))]


def test_the_endpoint_turns_tracing_on() -> None:
    on = probe(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1")
    assert on["tracing"] is True
    assert "opentelemetry.sdk.trace" in str(on["modules"])
