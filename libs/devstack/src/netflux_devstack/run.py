"""`make run`: PostgreSQL (embedded unless a URL is given) plus both services, stopped on Ctrl-C.

Environment (all optional):
  DATABASE_URL                 one server for both services (each still logs in as its own role
                               when MOVIE_DATABASE_URL / CUSTOMER_DATABASE_URL are set instead)
  NETFLUX_DATA_DIR             embedded PostgreSQL's data folder (default .data/postgres)
  NETFLUX_PG_PORT              embedded PostgreSQL's port (default 55432)
  MOVIE_PORT / CUSTOMER_PORT   service ports (default 7070 / 8080)
  EDGE_PORT                    the web page and both APIs on one port (default 8000)
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from netflux_devstack.postgres import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    ensure_database,
    traversable_by_server_user,
)

DATABASE = "netflux"
# Local-only role passwords, as init.sql sets them.
ROLE_URL = "postgresql://{role}:{role}@127.0.0.1:{port}/" + DATABASE


def _say(message: str) -> None:
    print(f"[netflux] {message}", flush=True)


def repo_root() -> Path:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "init.sql").is_file() and (folder / "pyproject.toml").is_file():
            return folder
    raise SystemExit("run this from the Netflux repository (no init.sql found)")


def data_dir(root: Path) -> Path:
    if configured := os.environ.get("NETFLUX_DATA_DIR"):
        return Path(configured)
    default = root / ".data" / "postgres"
    if traversable_by_server_user(default):
        return default
    # As root under a private home folder the unprivileged server user cannot reach the repo.
    digest = hashlib.sha256(bytes(root)).hexdigest()[:10]
    fallback = Path("/var/tmp/netflux") / digest / "postgres"  # noqa: S108 - fixed, per-repo
    _say(f"{default.parent} is not reachable by the PostgreSQL user; keeping data in {fallback}")
    fallback.parent.mkdir(parents=True, exist_ok=True)
    for folder in (fallback.parent, fallback.parent.parent):
        folder.chmod(0o755)
    return fallback


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def database_urls(root: Path) -> Iterator[dict[str, str]]:
    """Yield each service's DATABASE_URL; starts (and finally stops) the embedded server."""
    given = os.environ.get("DATABASE_URL")
    movie, customer = os.environ.get("MOVIE_DATABASE_URL"), os.environ.get("CUSTOMER_DATABASE_URL")
    if given or (movie and customer):
        _say("using the database given in the environment")
        yield {"movie": movie or given or "", "customer": customer or given or ""}
        return

    port = int(os.environ.get("NETFLUX_PG_PORT", "55432"))
    pg = EmbeddedPostgres(data_dir(root), port)
    if not pg.initialized:
        _say(f"initializing PostgreSQL in {pg.data_dir} (binaries: {pg.bindir})")
        pg.init()
    elif _port_in_use(port) and not pg.is_running():
        raise SystemExit(f"port {port} is taken; set NETFLUX_PG_PORT to a free port")
    pg.start()
    try:
        created = asyncio.run(ensure_database(pg.url(), DATABASE, (root / "init.sql").read_text()))
        if created:
            _say("database created from init.sql")
        _say(f"PostgreSQL on 127.0.0.1:{port}, data in {pg.data_dir}")
        yield {
            service: ROLE_URL.format(role=f"{service}_service", port=port)
            for service in ("movie", "customer")
        }
    finally:
        pg.stop()
        _say("PostgreSQL stopped")


def _spawn(module: str, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args], env={**os.environ, **env}, start_new_session=True
    )


def _wait_healthy(url: str, procs: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a service exited during start-up (see its log above)")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not become healthy within {timeout:.0f} s")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    root = repo_root()
    movie_port = int(os.environ.get("MOVIE_PORT", "7070"))
    customer_port = int(os.environ.get("CUSTOMER_PORT", "8080"))
    edge_port = int(os.environ.get("EDGE_PORT", "8000"))
    for port in (movie_port, customer_port, edge_port):
        if _port_in_use(port):
            raise SystemExit(f"port {port} is taken; set MOVIE_PORT / CUSTOMER_PORT / EDGE_PORT")

    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    try:
        with database_urls(root) as urls:
            movie_url = f"http://127.0.0.1:{movie_port}"
            customer_url = f"http://127.0.0.1:{customer_port}"
            common = {"HOST": "127.0.0.1"}
            procs = [
                _spawn(
                    "movie_service.main",
                    {**common, "PORT": str(movie_port), "DATABASE_URL": urls["movie"]},
                ),
                _spawn(
                    "customer_service.main",
                    {
                        **common,
                        "PORT": str(customer_port),
                        "DATABASE_URL": urls["customer"],
                        "MOVIE_SERVICE_URL": movie_url,
                    },
                ),
            ]
            edge_url = f"http://127.0.0.1:{edge_port}"
            edge_args = ["--port", str(edge_port), "--movie", movie_url, "--customer", customer_url]
            procs.append(_spawn("netflux_devstack.edge", {}, *edge_args))
            try:
                _wait_healthy(f"{movie_url}/actuator/health", procs)
                _wait_healthy(f"{customer_url}/actuator/health", procs)
                _wait_healthy(f"{edge_url}/index.html", procs)
                _say(f"web + APIs        {edge_url}/   (as CloudFront + ALB route them)")
                _say(f"movie-service     {movie_url}/api/movies       docs: {movie_url}/docs")
                _say(f"customer-service  {customer_url}/api/customers/1  docs: {customer_url}/docs")
                _say("press Ctrl-C to stop")
                while not stopping:
                    if any(p.poll() is not None for p in procs):
                        _say("a service exited; stopping")
                        break
                    time.sleep(0.3)
            finally:
                _say("stopping services")
                _stop(procs)
    except EmbeddedPostgresError as exc:
        raise SystemExit(f"[netflux] {exc}") from exc
    _say("stopped")


if __name__ == "__main__":
    main()
