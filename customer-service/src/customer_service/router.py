"""HTTP routes of customer-service; the routes only translate between HTTP and the services."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Request, Response, status

from customer_service import service
from customer_service.movie_client import MovieClient
from customer_service.schemas import CustomerDto, GenreUpdate
from netflux_common.db import Database, DatabaseDep
from netflux_common.params import CANONICAL_DIGITS
from netflux_common.problems import problem_responses

# Ids are PostgreSQL integers; anything outside is a 400, never a database error.
CustomerId = Annotated[
    int, Path(ge=1, le=2_147_483_647, description="The customer's id"), CANONICAL_DIGITS
]

router = APIRouter(
    prefix="/api/customers", tags=["customers"], responses=problem_responses(400, 404, 503)
)


@router.get(
    "/{customer_id}",
    summary="A customer with movies recommended for their favourite genre",
    description="`recommendedMovies` are the first movies (by id) of the customer's favourite "
    "genre, at most 20.",
    responses=problem_responses(502),
    response_model=CustomerDto,
)
async def get_customer(customer_id: CustomerId, request: Request) -> Response:
    # The hottest route reads its collaborators from app.state itself: resolving two
    # dependencies was ~12 % of its CPU.
    db: Database = request.app.state.database
    movies: MovieClient = request.app.state.movie_client
    customer = await service.get_customer(db.engine, customer_id)
    recommended = await movies.recommendations_json(customer.favorite_genre)
    # The recommendations are validated JSON already: spliced in, not parsed and re-serialized.
    body = orjson.dumps(
        {
            "id": customer.id,
            "name": customer.name,
            "favoriteGenre": customer.favorite_genre,
            "recommendedMovies": orjson.Fragment(recommended),
        }
    )
    return Response(body, media_type="application/json")


@router.patch(
    "/{customer_id}/genre",
    summary="Change a customer's favourite genre",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def update_genre(customer_id: CustomerId, body: GenreUpdate, db: DatabaseDep) -> None:
    await service.update_favorite_genre(db.engine, customer_id, body.favorite_genre)
