"""HTTP routes of movie-service; the routes only translate between HTTP and the service layer."""

from __future__ import annotations

from fastapi import APIRouter

from movie_service import service
from netflux_common.contracts import Genre, MovieDto
from netflux_common.db import SessionDep
from netflux_common.problems import problem_responses

router = APIRouter(prefix="/api/movies", tags=["movies"], responses=problem_responses(503))


@router.get("", summary="All movies, ordered by id")
async def list_movies(session: SessionDep) -> list[MovieDto]:
    movies = await service.list_movies(session)
    return [MovieDto.model_validate(m) for m in movies]


@router.get(
    "/{genre}",
    summary="The movies of one genre, ordered by id",
    description="The genre is matched case-insensitively; an unknown genre is a 400 problem.",
    responses=problem_responses(400),
)
async def list_movies_by_genre(genre: Genre, session: SessionDep) -> list[MovieDto]:
    movies = await service.list_movies(session, genre)
    return [MovieDto.model_validate(m) for m in movies]
