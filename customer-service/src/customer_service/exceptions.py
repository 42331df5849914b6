"""The problems customer-service answers with, besides the shared ones."""

from __future__ import annotations

from http import HTTPStatus

from netflux_common.problems import ProblemError


class CustomerNotFound(ProblemError):
    status = HTTPStatus.NOT_FOUND
    title = "Customer Not Found"
    slug = "customer-not-found"

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"Customer {customer_id} does not exist", customerId=customer_id)


class MovieServiceUnavailable(ProblemError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    title = "Movie Service Unavailable"
    slug = "movie-service-unavailable"


class MovieServiceBadResponse(ProblemError):
    status = HTTPStatus.BAD_GATEWAY
    title = "Bad Response From Movie Service"
    slug = "movie-service-bad-response"
