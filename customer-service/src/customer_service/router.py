"""HTTP routes of customer-service; the routes only translate between HTTP and the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from customer_service import service
from customer_service.movie_client import MovieClientDep
from customer_service.schemas import CustomerDto, GenreUpdate
from netflux_common.db import SessionDep
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
    responses=problem_responses(502),
)
async def get_customer(
    customer_id: CustomerId, session: SessionDep, movies: MovieClientDep
) -> CustomerDto:
    customer = await service.get_customer(session, customer_id)
    recommended = await movies.movies_by_genre(customer.favorite_genre)
    return CustomerDto(
        id=customer.id,
        name=customer.name,
        favorite_genre=customer.favorite_genre,
        recommended_movies=recommended,
    )


@router.patch(
    "/{customer_id}/genre",
    summary="Change a customer's favourite genre",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def update_genre(customer_id: CustomerId, body: GenreUpdate, session: SessionDep) -> None:
    await service.update_favorite_genre(session, customer_id, body.favorite_genre)
