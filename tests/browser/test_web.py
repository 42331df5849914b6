"""The Netflux page as a person uses it, in a real browser."""

from __future__ import annotations

import re
from typing import Any, Protocol

import httpx
import pytest
from playwright.async_api import Page, expect


class WebStack(Protocol):
    """The `web` fixture (conftest.py): a running Netflux and a few handles on it."""

    base_url: str

    async def stop_movie_service(self) -> None: ...
    async def start_movie_service(self) -> None: ...
    async def execute(self, sql: str, *args: Any) -> Any: ...


async def api(web: WebStack, path: str) -> Any:
    async with httpx.AsyncClient(base_url=web.base_url) as http:
        return (await http.get(path)).json()


async def titles(page: Page, list_id: str) -> list[str]:
    return await page.locator(f"#{list_id} .movie-title").all_text_contents()


async def test_page_shows_customer_1_with_recommendations_of_their_genre(
    web: WebStack, page: Page
) -> None:
    customer = await api(web, "/api/customers/1")

    await page.goto(web.base_url + "/")

    await expect(page.locator("h2")).to_have_text(f"Hello, {customer['name']}")
    await expect(page.locator("#genre-select")).to_have_value(customer["favoriteGenre"])
    expected = [m["title"] for m in customer["recommendedMovies"]]
    await expect(page.locator("#recommended .movie-title")).to_have_text(expected)
    assert expected


async def test_changing_the_genre_updates_recommendations_and_persists(
    web: WebStack, page: Page
) -> None:
    drama = [m["title"] for m in await api(web, "/api/movies/DRAMA")]
    await page.goto(web.base_url + "/?customer=2")
    original = await page.locator("#genre-select").input_value()
    try:
        await page.locator("#genre-select").select_option("DRAMA")
        await expect(page.locator("#recommended .movie-title")).to_have_text(drama)

        await page.reload()
        await expect(page.locator("#genre-select")).to_have_value("DRAMA")
        await expect(page.locator("#recommended .movie-title")).to_have_text(drama)
    finally:
        async with httpx.AsyncClient(base_url=web.base_url) as http:
            await http.patch("/api/customers/2/genre", json={"favoriteGenre": original})


async def test_all_movies_tab_and_genre_filter(web: WebStack, page: Page) -> None:
    everything = [m["title"] for m in await api(web, "/api/movies")]
    comedy = [m["title"] for m in await api(web, "/api/movies/COMEDY")]
    await page.goto(web.base_url + "/")

    # Keyboard only: focus the first tab, arrow to the next one.
    await page.locator("#tab-customer").focus()
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("#tab-movies")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#panel-movies")).to_be_visible()
    await expect(page.locator("#movies .movie-title")).to_have_text(everything)

    await page.get_by_label("Genre", exact=True).select_option("COMEDY")
    await expect(page.locator("#movies .movie-title")).to_have_text(comedy)
    assert 0 < len(comedy) < len(everything)


async def test_unknown_customer_shows_not_found_with_the_problem_detail(
    web: WebStack, page: Page
) -> None:
    await page.goto(web.base_url + "/?customer=999")

    status = page.locator("#customer-status")
    await expect(status).to_contain_text("Customer not found")
    await expect(status).to_contain_text("Customer 999 does not exist")
    await expect(page.locator("#customer")).to_be_hidden()


async def test_movie_service_down_shows_an_error_not_a_blank_page(
    web: WebStack, page: Page
) -> None:
    await web.stop_movie_service()
    try:
        await page.goto(web.base_url + "/")
        status = page.locator("#customer-status")
        await expect(status).to_contain_text("Something went wrong")
        await expect(status).to_contain_text("Movie Service Unavailable")
        await expect(status).to_have_class(re.compile("status-error"))
    finally:
        await web.start_movie_service()


async def test_markup_in_a_title_is_shown_as_text(web: WebStack, page: Page) -> None:
    title = '<img src=x onerror="window.__pwned=1"><b>Bold</b> & Co'
    movie_id = await web.execute(
        "INSERT INTO movie.movie (title, release_year, genre)"
        " VALUES ($1, 2024, 'ACTION') RETURNING id",
        title,
    )
    try:
        await page.goto(web.base_url + "/?customer=1")
        await page.locator("#genre-select").select_option("ACTION")
        await expect(page.locator("#recommended .movie-title").last).to_have_text(title)
        assert await page.locator("#recommended img, #recommended b").count() == 0
        assert await page.evaluate("window.__pwned") is None
    finally:
        await web.execute("DELETE FROM movie.movie WHERE id = $1", movie_id)


async def test_a_refused_genre_change_restores_the_saved_genre_and_keeps_focus(
    web: WebStack, page: Page
) -> None:
    customer = await api(web, "/api/customers/3")
    await page.goto(web.base_url + "/?customer=3")
    select = page.locator("#genre-select")
    saved = customer["favoriteGenre"]
    await expect(select).to_have_value(saved)
    other = "DRAMA" if saved != "DRAMA" else "COMEDY"

    async def refuse(route: Any) -> None:
        await route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"title": "Database Unavailable", "status": 503, "detail": "Try again shortly"}',
        )

    await page.route("**/api/customers/3/genre", refuse)
    await select.focus()
    await select.select_option(other)

    status = page.locator("#customer-status")
    await expect(status).to_contain_text("Could not save: Database Unavailable. Try again shortly")
    await expect(select).to_have_value(saved)
    await expect(select).to_be_focused()


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (500, "application/json", '{"message": "boom"}'),
        (200, "application/json", '{"id": 1}'),  # a 200 whose shape the page does not know
    ],
)
async def test_an_answer_that_is_not_a_problem_shows_a_clear_error_state(
    web: WebStack, page: Page, status: int, content_type: str, body: str
) -> None:
    async def answer(route: Any) -> None:
        await route.fulfill(status=status, content_type=content_type, body=body)

    await page.route("**/api/customers/1", answer)
    await page.goto(web.base_url + "/")

    message = page.locator("#customer-status")
    await expect(message).to_contain_text("Something went wrong: Unexpected response")
    await expect(message).to_have_class(re.compile("status-error"))
    text = await message.text_content() or ""
    assert "undefined" not in text
    assert "TypeError" not in text


def _luminance(rgb: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


async def test_form_controls_stand_out_3_to_1(web: WebStack, page: Page) -> None:
    await page.goto(web.base_url + "/")
    border = await page.locator("#genre-select").evaluate("e => getComputedStyle(e).borderTopColor")
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")

    lighter, darker = sorted((_luminance(border), _luminance(background)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 3
