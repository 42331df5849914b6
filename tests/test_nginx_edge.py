"""The compose edge (the generated edge/nginx.conf, run by a real nginx) answers like the ALB.

nginx runs here without Docker, on loopback, with the committed config adapted only in where it
listens and where the services are. Skipped without an nginx binary unless
NETFLUX_TEST_REQUIRE_NGINX=1 (CI installs Debian's nginx-light and sets it).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from netflux_catalogue import SERVICES
from netflux_catalogue.edge import security_headers
from netflux_devstack.generated import compose_upstream
from netflux_devstack.polling import wait_until_async
from netflux_devstack.ports import free_port, port_in_use
from netflux_devstack.testing import Seen, echo_upstream, raw_request, serving

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def adapted_conf(port: int, upstreams: dict[str, str], web: Path) -> str:
    conf = (ROOT / "edge" / "nginx.conf").read_text()
    conf = conf.replace("listen 8000;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("root /usr/share/nginx/html;", f"root {web};")
    conf = re.sub(r"\n\s*resolver [^\n]*", "", conf)
    for service in SERVICES:
        conf = conf.replace(compose_upstream(service), upstreams[service.name])
    return conf


@pytest.fixture
async def nginx(tmp_path: Path) -> AsyncIterator[tuple[str, Seen]]:
    if NGINX is None:
        if os.environ.get("NETFLUX_TEST_REQUIRE_NGINX") == "1":
            pytest.fail("NETFLUX_TEST_REQUIRE_NGINX=1 but no nginx binary")
        pytest.skip("no nginx binary (apt-get install nginx-light)")
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>site</title>")
    (web / ".env").write_text("SECRET=1")
    seen: Seen = []
    async with (
        serving(echo_upstream("movie-service", seen)) as movie,
        serving(echo_upstream("customer-service", seen)) as customer,
    ):
        port = free_port()
        upstreams = {"movie-service": movie, "customer-service": customer}
        (tmp_path / "edge.conf").write_text(adapted_conf(port, upstreams, web))
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
            "daemon off;\nworker_processes 1;\nevents {}\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n"
            f"  proxy_temp_path {tmp_path};\n  include {tmp_path}/edge.conf;\n}}\n"
        )
        proc = await asyncio.create_subprocess_exec(
            NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")
        )

        async def listening() -> bool:
            assert proc.returncode is None, "nginx exited; see its error.log"
            return port_in_use(port)

        try:
            await wait_until_async(listening, within=10, what="nginx")
            yield f"http://127.0.0.1:{port}", seen
        finally:
            proc.terminate()
            async with asyncio.timeout(10):
                await proc.wait()


def assert_problem(
    status: int, headers: dict[str, str], body: bytes, expected: int
) -> dict[str, object]:
    assert status == expected, body
    assert headers["content-type"] == "application/problem+json"
    problem: dict[str, object] = json.loads(body)
    assert problem["status"] == expected
    return problem


async def test_api_paths_reach_their_service_with_the_target_unchanged(
    nginx: tuple[str, Seen],
) -> None:
    url, seen = nginx
    for target in ("/api/movies/DRAMA?limit=5", "/api/customers/1%20", "/api/movies"):
        status, _, body = await raw_request(url, target)
        assert status == 200, body
        assert seen[-1]["target"] == target


@pytest.mark.parametrize(
    "target",
    [
        "/api/movies/%2e%2e/%2e%2e/actuator/health",
        "/api/movies/%2e%2e/%2e%2e/openapi.json",
        "/api/customers/..%2f..%2fopenapi.json",
        "/api/movies%2f..%2f..%2factuator%2fhealth",
        "/api/customers/%2e%2e/%2e%2e/actuator/prometheus",
        "/actuator/prometheus",
    ],
)
async def test_dot_segments_never_reach_a_service(nginx: tuple[str, Seen], target: str) -> None:
    url, seen = nginx

    status, _, _ = await raw_request(url, target)

    assert status == 404
    assert seen == []


async def test_nginx_errors_are_problems(nginx: tuple[str, Seen]) -> None:
    url, seen = nginx

    assert_problem(*await raw_request(url, "/api/customers"), 404)  # not a 301
    problem = assert_problem(*await raw_request(url, "/api/orders/1"), 404)
    assert problem["instance"] == "/api/orders/1"
    assert_problem(*await raw_request(url, "/api/" + "x" * 9000), 414)
    assert_problem(*await raw_request(url, "/api/movies", headers=f"X-Big: {'x' * 9000}\r\n"), 431)
    big = b"{" + b" " * 70_000 + b"}"
    too_large = await raw_request(
        url, "/api/customers/1/genre", "PATCH", f"Content-Length: {len(big)}\r\n", big
    )
    assert_problem(*too_large, 413)
    assert_problem(*await raw_request(url, "/api/movies", headers="Host: a\r\n"), 400)
    assert seen == []


async def test_a_target_that_needs_escaping_is_not_spliced_into_json(
    nginx: tuple[str, Seen],
) -> None:
    url, _ = nginx

    problem = assert_problem(*await raw_request(url, '/api/x"y'), 404)

    assert problem["instance"] == "/api/"


async def test_dotfiles_and_version_are_not_served(nginx: tuple[str, Seen]) -> None:
    url, _ = nginx

    status, headers, body = await raw_request(url, "/.env")

    assert status == 404
    assert b"SECRET" not in body
    assert headers["server"] == "nginx"


@pytest.mark.parametrize("target", ["/", "/api/movies", "/api/nothing"])
async def test_security_headers_match_cloudfronts(nginx: tuple[str, Seen], target: str) -> None:
    url, _ = nginx

    _, headers, _ = await raw_request(url, target)

    for name, value in security_headers(tls=False).items():
        assert headers[name.lower()] == value


async def test_client_forwarding_headers_are_replaced(nginx: tuple[str, Seen]) -> None:
    url, seen = nginx

    await raw_request(url, "/api/movies", headers="X-Forwarded-For: 6.6.6.6\r\n")

    assert seen[-1]["headers"][b"x-forwarded-for"] == b"127.0.0.1"


async def test_trace_is_a_405_problem_with_allow(nginx: tuple[str, Seen]) -> None:
    url, seen = nginx

    status, headers, body = await raw_request(url, "/api/movies", "TRACE")

    assert_problem(status, headers, body, 405)
    assert "GET" in headers["allow"]
    assert headers["x-content-type-options"] == "nosniff"
    assert seen == []
