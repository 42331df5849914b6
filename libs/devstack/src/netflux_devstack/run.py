"""`make run`: PostgreSQL (embedded unless a URL is given) plus both services, stopped on Ctrl-C.

Environment (all optional); <SHORT> is a catalogue service's short name in upper case (MOVIE,
CUSTOMER):
  DATABASE_URL                 one server for every service (each still logs in as its own role
                               when every <SHORT>_DATABASE_URL is set instead)
  NETFLUX_DATA_DIR             embedded PostgreSQL's data folder (default .data/postgres)
  NETFLUX_PG_PORT              embedded PostgreSQL's port (default 55432)
  <SHORT>_PORT                 a service's port (default: its local port in the catalogue,
                               movie-service 7070, customer-service 8080)
  EDGE_PORT                    the web page and every API on one port (default 8000)
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from netflux_catalogue import DATABASE_NAME, HEALTH_PATH, SERVICES, Service, by_name
from netflux_devstack.polling import NotReady, wait_until
from netflux_devstack.ports import port_in_use
from netflux_devstack.postgres import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    ensure_database,
    traversable_by_server_user,
)

# Local-only role passwords, as init.sql sets them.
ROLE_URL = "postgresql://{role}:{role}@127.0.0.1:{port}/" + DATABASE_NAME


def _variable(service: Service, suffix: str) -> str:
    return f"{service.short.upper()}_{suffix}"


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


@contextmanager
def database_urls(root: Path) -> Iterator[dict[str, str]]:
    """Yield each service's DATABASE_URL by name; starts (and finally stops) the embedded server."""
    given = os.environ.get("DATABASE_URL")
    each = {s.name: os.environ.get(_variable(s, "DATABASE_URL")) for s in SERVICES}
    if given or all(each.values()):
        _say("using the database given in the environment")
        yield {name: url or given or "" for name, url in each.items()}
        return

    port = int(os.environ.get("NETFLUX_PG_PORT", "55432"))
    pg = EmbeddedPostgres(data_dir(root), port)
    if not pg.initialized:
        _say(f"initializing PostgreSQL in {pg.data_dir} (binaries: {pg.bindir})")
        pg.init()
    elif port_in_use(port) and not pg.is_running():
        raise SystemExit(f"port {port} is taken; set NETFLUX_PG_PORT to a free port")
    pg.start()
    try:
        init_sql = (root / "init.sql").read_text()
        created = asyncio.run(ensure_database(pg.url(), DATABASE_NAME, init_sql))
        if created:
            _say("database created from init.sql")
        _say(f"PostgreSQL on 127.0.0.1:{port}, data in {pg.data_dir}")
        yield {s.name: ROLE_URL.format(role=s.db_role, port=port) for s in SERVICES}
    finally:
        pg.stop()
        _say("PostgreSQL stopped")


def _spawn(module: str, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args], env={**os.environ, **env}, start_new_session=True
    )


def _wait_healthy(url: str, procs: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    def healthy() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def exited() -> str | None:
        exited = any(p.poll() is not None for p in procs)
        return "a service exited during start-up (see its log above)" if exited else None

    try:
        wait_until(healthy, timeout=timeout, what=url, give_up=exited)
    except NotReady as exc:
        raise SystemExit(str(exc)) from exc


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ports() -> dict[str, int]:
    return {s.name: int(os.environ.get(_variable(s, "PORT"), s.local_port)) for s in SERVICES}


def main() -> None:
    root = repo_root()
    ports = _ports()
    edge_port = int(os.environ.get("EDGE_PORT", "8000"))
    for port in (*ports.values(), edge_port):
        if port_in_use(port):
            names = ", ".join(_variable(s, "PORT") for s in SERVICES)
            raise SystemExit(f"port {port} is taken; set {names} or EDGE_PORT")

    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        with database_urls(root) as database:
            procs = []
            for service in SERVICES:
                env = {
                    "HOST": "127.0.0.1",
                    "PORT": str(ports[service.name]),
                    "DATABASE_URL": database[service.name],
                } | {by_name(callee).url_variable: urls[callee] for callee in service.calls}
                procs.append(_spawn(f"{service.package}.main", env))
            edge_url = f"http://127.0.0.1:{edge_port}"
            edge_args = ["--port", str(edge_port)]
            edge_args += [f"--upstream={name}={url}" for name, url in urls.items()]
            procs.append(_spawn("netflux_devstack.edge", {}, *edge_args))
            try:
                for url in urls.values():
                    _wait_healthy(url + HEALTH_PATH, procs)
                _wait_healthy(f"{edge_url}/index.html", procs)
                _say(f"web + APIs        {edge_url}/   (as CloudFront + ALB route them)")
                for service in SERVICES:
                    url = urls[service.name]
                    api = url + service.path_patterns[0].rstrip("*/")
                    _say(f"{service.name:<17} {api}  docs: {url}/docs")
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
