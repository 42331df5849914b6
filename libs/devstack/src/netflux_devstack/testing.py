"""Test support: serve an ASGI app on a loopback port, and a TCP proxy that can cut a connection."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from netflux_catalogue import HEALTH_PATH
from netflux_devstack.polling import wait_until, wait_until_async
from netflux_devstack.ports import free_port


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, port: int | None = None) -> AsyncIterator[str]:
    """Run `app` under uvicorn on 127.0.0.1 (lifespan included) and yield its base URL."""
    port = port or free_port()
    # No proxy headers: what is served here is the first hop, as the edge is in `make run`.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # surfaces the start-up error
            raise RuntimeError("uvicorn exited before it started")
        return server.started

    try:
        await wait_until_async(started, within=20, what=f"uvicorn on {port}", interval=0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=20)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_tcp_server(handler: Handler) -> AsyncIterator[str]:
    """A loopback TCP server driven by `handler`, for peers that misbehave on purpose."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await server.wait_closed()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every connection and refuses new ones
    until `restore()`, which is how a database outage looks to a client."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.close()
            return
        self._writers.update((client_w, upstream_w))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(client_r, upstream_w), pump(upstream_r, client_w))
        self._writers.difference_update((client_w, upstream_w))


Seen = list[dict[str, Any]]


def echo_upstream(name: str, seen: Seen) -> ASGIApp:
    """A stand-in service that answers with the request target it received."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = scope["raw_path"].decode() + (
            "?" + scope["query_string"].decode() if scope["query_string"] else ""
        )
        seen.append({"service": name, "target": raw, "headers": dict(scope["headers"])})
        body = json.dumps({"service": name, "target": raw}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


async def raw_request(  # an HTTP client library would normalise the target under test
    base: str, target: str, method: str = "GET", headers: str = "", body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """Send one request exactly as written; answer status, headers (lower-case) and body."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"{method} {target} HTTP/1.1\r\nHost: edge\r\n{headers}Connection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    async with asyncio.timeout(10):
        data = await reader.read(-1)
    writer.close()
    head, _, answer = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    parsed = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in parsed.items()}, answer


@contextlib.contextmanager
def service_process(
    package: str,
    env: dict[str, str],
    *,
    within: float = 30,
    port: int | None = None,
    stdout: IO[bytes] | None = None,
    command: list[str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A service as its container runs it (`python -m <package>.main`, one process, unless
    `command` says otherwise) on a loopback port (a free one unless given); yields its URL and
    process once healthy, and stops it with SIGTERM. Its log (stdout) goes to `stdout` when
    given."""
    port = port or free_port()
    proc = subprocess.Popen(
        command or [sys.executable, "-m", f"{package}.main"],
        env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING", **env},
        start_new_session=True,
        stdout=stdout,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(url + HEALTH_PATH + "/liveness", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def exited() -> str | None:
        return f"exited with {proc.returncode}" if proc.poll() is not None else None

    try:
        wait_until(healthy, timeout=within, what=f"{package} on {url}", give_up=exited)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc)."""
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Outcome:
    started: float  # monotonic seconds since the load began
    seconds: float
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    content_type: str
    error: str = ""


RequestFor = Callable[[int], tuple[str, str, Any]]  # n -> (method, url, json body or None)


async def run_load(
    request_for: RequestFor, *, workers: int, seconds: float, request_timeout: float = 10
) -> list[Outcome]:
    """Closed-loop load on loopback: `workers` clients, each sending its next request as soon as
    the last one is answered, for `seconds`. Bounded in time; every outcome is kept."""
    outcomes: list[Outcome] = []
    begin = time.monotonic()
    counter = itertools.count()
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)

    async def worker(http: httpx.AsyncClient) -> None:
        while (now := time.monotonic()) - begin < seconds:
            method, url, body = request_for(next(counter))
            try:
                response = await http.request(method, url, json=body)
                status, content_type, error = (
                    response.status_code, response.headers.get("content-type", ""), ""
                )  # fmt: skip
            except httpx.HTTPError as exc:
                status, content_type, error = 0, "", type(exc).__name__
            outcomes.append(
                Outcome(now - begin, time.monotonic() - now, status, content_type, error)
            )

    async with httpx.AsyncClient(timeout=request_timeout, limits=limits) as http:
        await asyncio.gather(*(worker(http) for _ in range(workers)))
    return outcomes


@contextlib.asynccontextmanager
async def app_client(app: Any, base_url: str = "http://app") -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client driving an ASGI app in-process, its lifespan included; app errors come
    back as the 500 answers a server would send."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client
