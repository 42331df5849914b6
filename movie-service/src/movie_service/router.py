"""HTTP routes of movie-service; the routes only translate between HTTP and the service layer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from movie_service.cache import Page
from movie_service.service import DEFAULT_LIMIT, MAX_LIMIT, Catalogue
from netflux_common.contracts import Genre, MovieDto
from netflux_common.params import CANONICAL_DIGITS
from netflux_common.problems import problem_responses

# Clients and CloudFront may keep a copy but must revalidate it on every use (a 304 is cheap):
# a catalogue change is visible at once, with no invalidation.
CACHE_CONTROL = "public, max-age=0, must-revalidate"

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT})"),
    CANONICAL_DIGITS,
]
After = Annotated[
    int | None,
    Query(
        ge=0,
        le=2_147_483_647,
        description="Cursor: the id of the last movie of the previous page (see the Link header)",
    ),
    CANONICAL_DIGITS,
]

_PAGED = (
    "Pages are ordered by id. When more movies follow, the `Link` header (RFC 8288) carries the "
    'next page: `</api/movies?limit=100&after=123>; rel="next"`; the last page has none. '
    "Answers carry an `ETag`; a request with a matching `If-None-Match` gets a 304."
)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(400, 503),
    304: {"description": "Not Modified: the `If-None-Match` ETag is current"},
}

router = APIRouter(prefix="/api/movies", tags=["movies"], responses=_RESPONSES)


def _catalogue(request: Request) -> Catalogue:
    # Read from app.state directly, not as a dependency: resolving one costs more than the cache.
    catalogue: Catalogue = request.app.state.catalogue
    return catalogue


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def _respond(request: Request, page: Page, path: str, limit: int) -> Response:
    headers = {"ETag": page.etag, "Cache-Control": CACHE_CONTROL}
    if page.next_after is not None:
        # A path-absolute reference: right behind any host, ALB or CloudFront alike.
        headers["Link"] = f'<{path}?limit={limit}&after={page.next_after}>; rel="next"'
    if _matches(request.headers.get("if-none-match"), page.etag):
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type="application/json", headers=headers)


@router.get(
    "",
    summary="All movies, ordered by id, a page at a time",
    description=_PAGED,
    response_model=list[MovieDto],
)
async def list_movies(
    request: Request, limit: Limit = DEFAULT_LIMIT, after: After = None
) -> Response:
    page = await _catalogue(request).page(None, after, limit)
    return _respond(request, page, "/api/movies", limit)


@router.get(
    "/{genre}",
    summary="The movies of one genre, ordered by id, a page at a time",
    description="The genre is matched case-insensitively; an unknown genre is a 400 problem. "
    + _PAGED,
    response_model=list[MovieDto],
)
async def list_movies_by_genre(
    request: Request,
    genre: Genre,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> Response:
    page = await _catalogue(request).page(genre, after, limit)
    return _respond(request, page, f"/api/movies/{genre.value}", limit)
