"""The two floors the services are measured against, as bare ASGI apps on uvicorn.

F1: constant JSON bytes (the bytes movie-service answers for /api/movies/ACTION): what uvicorn,
    httptools and uvloop cost on their own. Nothing written in Python can be faster.
F2: an asyncpg pool and orjson running the service's SQL: the least any endpoint that reads the
    database on every request can cost.

    python -m bench.floors f1 --port P --body FILE
    python -m bench.floors f2 --port P --database-url URL
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import uvicorn
from starlette.types import Receive, Scope, Send

from netflux_devstack.asgi import run_lifespan

# The statement movie-service runs for /api/movies/{genre} (first page of the keyset pagination).
BY_GENRE_SQL = (
    "SELECT id, title, release_year, genre FROM movie WHERE genre = $1 ORDER BY id LIMIT $2"
)
PAGE_SIZE = 100
_HEADERS = [(b"content-type", b"application/json")]


def constant_app(body: bytes) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await run_lifespan(receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        await send({"type": "http.response.body", "body": body})

    return app


def database_app(database_url: str, pool_size: int, max_overflow: int) -> Any:
    pools: list[asyncpg.Pool] = []

    async def start() -> None:
        pool = await asyncpg.create_pool(
            database_url, min_size=pool_size, max_size=pool_size + max_overflow
        )
        pools.append(pool)

    async def stop() -> None:
        await pools[0].close()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await run_lifespan(receive, send, start, stop)
            return
        genre = scope["path"].rsplit("/", 1)[-1].upper()
        rows = await pools[0].fetch(BY_GENRE_SQL, genre, PAGE_SIZE)
        body = orjson.dumps(
            [{"id": r[0], "title": r[1], "releaseYear": r[2], "genre": r[3]} for r in rows]
        )
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("floor", choices=["f1", "f2"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, help="F1: the file whose bytes are served")
    parser.add_argument("--database-url", help="F2: a postgresql:// URL (the movie_service role)")
    parser.add_argument("--pool-size", type=int, default=5)
    parser.add_argument("--max-overflow", type=int, default=5)
    args = parser.parse_args()
    if args.floor == "f1":
        app = constant_app(args.body.read_bytes())
    else:
        app = database_app(args.database_url, args.pool_size, args.max_overflow)
    # The services' server settings (netflux_common.app.serve): uvicorn's defaults pick uvloop and
    # httptools, one process. A floor logs nothing: request logging is the application's choice.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="*",
    )


if __name__ == "__main__":
    main()
