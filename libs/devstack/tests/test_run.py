"""`make run` as a user meets it: both services up on an embedded database, Ctrl-C stops all."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from netflux_devstack.ports import free_port

REPO = Path(__file__).resolve().parents[3]


@contextmanager
def make_run(data_dir: Path, pg_port: int) -> Iterator[tuple[str, str, str, list[str]]]:
    movie, customer, edge = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "NETFLUX_DATA_DIR": str(data_dir),
        "NETFLUX_PG_PORT": str(pg_port),
        "MOVIE_PORT": str(movie),
        "CUSTOMER_PORT": str(customer),
        "EDGE_PORT": str(edge),
    }
    for var in ("DATABASE_URL", "MOVIE_DATABASE_URL", "CUSTOMER_DATABASE_URL"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "netflux_devstack.run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            pytest.fail("make run exited early:\n" + "".join(lines))
        lines.append(line)
        if "press Ctrl-C to stop" in line:
            break
    else:
        proc.kill()
        pytest.fail("make run did not come up in 90 s:\n" + "".join(lines))
    try:
        movie_url, customer_url, edge_url = (
            f"http://127.0.0.1:{p}" for p in (movie, customer, edge)
        )
        yield movie_url, customer_url, edge_url, lines
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        lines.append(rest)
        assert proc.returncode == 0, "".join(lines)
        assert "[netflux] PostgreSQL stopped" in rest


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: it is private to root, and as root PostgreSQL runs unprivileged.
    folder = Path(tempfile.mkdtemp(prefix="netflux-run-test-"))
    folder.chmod(0o755)
    yield folder / "pgdata"
    shutil.rmtree(folder, ignore_errors=True)


def test_make_run_serves_both_apis_and_keeps_data_across_restarts(data_dir: Path) -> None:
    pg_port = free_port()

    with make_run(data_dir, pg_port) as (movie_url, customer_url, edge_url, lines):
        assert any(movie_url in line for line in lines)
        assert any(customer_url in line for line in lines)
        assert any(edge_url in line for line in lines)
        assert httpx.get(f"{movie_url}/api/movies").status_code == 200
        # The edge: the page and both APIs on one port, routed like CloudFront + ALB.
        assert "<title>Netflux</title>" in httpx.get(f"{edge_url}/").text
        assert (
            httpx.get(f"{edge_url}/api/movies").json()
            == httpx.get(f"{movie_url}/api/movies").json()
        )
        assert httpx.get(f"{edge_url}/api/customers/1").json()["name"] == "Sam"
        unrouted = httpx.get(f"{edge_url}/api/orders/1")
        assert unrouted.status_code == 404
        assert unrouted.headers["content-type"] == "application/problem+json"
        patched = httpx.patch(
            f"{customer_url}/api/customers/2/genre", json={"favoriteGenre": "COMEDY"}
        )
        assert patched.status_code == 204

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{movie_url}/api/movies")

    with make_run(data_dir, pg_port) as (_, customer_url, _, lines):
        customer = httpx.get(f"{customer_url}/api/customers/2").json()
        assert customer["favoriteGenre"] == "COMEDY"
        assert customer["recommendedMovies"]
        assert not any("database created" in line for line in lines)
