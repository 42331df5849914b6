"""A real PostgreSQL server from local binaries, for `make run` and tests without Docker.

Binaries come from (first found): $NETFLUX_PG_BIN, `initdb` on PATH, /usr/lib/postgresql/*/bin,
or the `pgserver` wheel, which bundles PostgreSQL for Linux x86_64 and macOS.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (or `nobody`).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from netflux_devstack.polling import wait_until_async

SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "postgres"  # local-only throwaway clusters; never a deployment credential


class EmbeddedPostgresError(RuntimeError):
    pass


def find_bindir() -> Path:
    candidates: list[Path] = []
    if env := os.environ.get("NETFLUX_PG_BIN"):
        candidates.append(Path(env))
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    # Only the wheel's binaries are used; importing it would run its own set-up code.
    if (spec := importlib.util.find_spec("pgserver")) and spec.submodule_search_locations:
        candidates += [Path(p) / "pginstall" / "bin" for p in spec.submodule_search_locations]
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    raise EmbeddedPostgresError(
        "No PostgreSQL binaries found: install PostgreSQL, `uv sync` (pulls the pgserver wheel), "
        "or set NETFLUX_PG_BIN to a folder holding initdb and pg_ctl"
    )


def _run_as_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise EmbeddedPostgresError("running as root, but neither a postgres nor a nobody user exists")


def traversable_by_server_user(path: Path) -> bool:
    """Whether the user the server runs as (when we are root) can reach `path`."""
    user = _run_as_user()
    if user is None:
        return True
    for parent in path.resolve().parents:
        if not parent.exists():
            continue  # will be created by root with the default (traversable) mode
        st = parent.stat()
        if st.st_uid != user.pw_uid and not st.st_mode & stat.S_IXOTH:
            return False
    return True


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    throwaway: bool = False  # fsync off: only for test clusters that die with the run
    max_connections: int = 100  # PostgreSQL's default
    bindir: Path = field(default_factory=find_bindir)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self._user = _run_as_user()

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str = "") -> str:
        password = password or (SUPERUSER_PASSWORD if user == SUPERUSER else "")
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        # A session of its own: Ctrl-C reaches our launcher, which stops the server in order.
        kwargs: dict[str, object] = {"start_new_session": True}
        if self._user is not None:
            kwargs |= {"user": self._user.pw_uid, "group": self._user.pw_gid}
        proc = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            check=False,
            cwd="/",
            **kwargs,  # type: ignore[call-overload]
        )
        return proc  # type: ignore[no-any-return]

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not traversable_by_server_user(self.data_dir):
            raise EmbeddedPostgresError(
                f"{self.data_dir} is not reachable by the unprivileged user PostgreSQL runs as "
                "for root; set NETFLUX_DATA_DIR to a folder under /var/tmp or similar"
            )
        if self._user is not None:
            os.chown(self.data_dir, self._user.pw_uid, self._user.pw_gid)
        self.data_dir.chmod(0o700)
        with tempfile.NamedTemporaryFile("w", suffix=".pw", delete=False) as pw:
            pw.write(SUPERUSER_PASSWORD)
        try:
            if self._user is not None:
                os.chown(pw.name, self._user.pw_uid, self._user.pw_gid)
            args = ["initdb", "-D", str(self.data_dir), "-U", SUPERUSER, f"--pwfile={pw.name}"]
            args += ["--auth=scram-sha-256", "--encoding=UTF8", "--locale=C"]
            if self.throwaway:
                args.append("--no-sync")
            proc = self._run(*args)
        finally:
            os.unlink(pw.name)
        if proc.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed:\n{proc.stdout}\n{proc.stderr}")

    def is_running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.data_dir)).returncode == 0

    def start(self) -> None:
        if self.is_running():  # left over from a run that was killed: restart on our port
            self.stop()
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        options += f" -c max_connections={self.max_connections}"
        if self.throwaway:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        proc = self._run(
            "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file),
            "-w", "-t", "60", "-o", options,
        )  # fmt: skip
        if proc.returncode != 0:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise EmbeddedPostgresError(f"PostgreSQL did not start:\n{proc.stderr}\n{log[-2000:]}")

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30")


async def ensure_database(admin_url: str, name: str, init_sql: str) -> bool:
    """Create database `name` from init.sql unless it exists; True if it was created."""
    admin = await asyncpg.connect(admin_url)
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await apply_sql(_with_database(admin_url, name), init_sql)
    return True


async def apply_sql(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)  # simple-query protocol: the whole script, in order
    finally:
        await conn.close()


async def wait_until_accepting(url: str, within: float = 90) -> None:
    """Retry until a connection succeeds; NotReady after `within` seconds."""

    async def accepting() -> bool:
        try:
            conn = await asyncpg.connect(url, timeout=2)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    await wait_until_async(accepting, within=within, what="PostgreSQL")


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"
