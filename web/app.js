// Netflux front end: plain JavaScript, no dependencies, same-origin /api calls only.
// Everything from the API is rendered with textContent, never as HTML.
"use strict";

const GENRES = ["ACTION", "COMEDY", "CRIME", "DRAMA"];
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail || "";
  }
}

const UNEXPECTED = "Unexpected response";

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, {
      ...options,
      headers: { Accept: "application/json, application/problem+json", ...(options.headers || {}) },
    });
  } catch (err) {
    throw new ApiError(0, "Network error", "The service could not be reached. Check your connection and try again.");
  }
  let body = null;
  if (response.status !== 204) {
    try { body = await response.json(); } catch (err) { body = undefined; /* not JSON */ }
  }
  if (response.ok) {
    if (body === undefined) {
      throw new ApiError(response.status, UNEXPECTED, `The server answered HTTP ${response.status} with something that is not JSON.`);
    }
    return body;
  }
  // RFC 9457 problem details carry a title and a human-readable detail; anything else (an HTML
  // error page from a proxy, a JSON shape we do not know) is described by its status alone.
  const isProblem = body && typeof body === "object" && typeof body.title === "string";
  if (isProblem) {
    throw new ApiError(response.status, body.title, typeof body.detail === "string" ? body.detail : "");
  }
  throw new ApiError(response.status, UNEXPECTED, `The server answered HTTP ${response.status}. Try again shortly.`);
}

function expectShape(value, check, what) {
  if (!check(value)) throw new ApiError(0, UNEXPECTED, `The server sent ${what} in a shape this page does not understand.`);
  return value;
}

const isMovieList = (movies) => Array.isArray(movies) && movies.every(
  (m) => m && typeof m.title === "string" && typeof m.genre === "string");
const isCustomer = (c) => c && typeof c.name === "string" && typeof c.favoriteGenre === "string"
  && isMovieList(c.recommendedMovies);

function setStatus(element, text, kind) {
  element.textContent = text;
  element.className = "status" + (kind ? ` status-${kind}` : "");
  element.hidden = !text;
}

function renderMovies(list, movies) {
  list.replaceChildren(...movies.map((movie) => {
    const item = document.createElement("li");
    item.className = "movie";
    const title = document.createElement("span");
    title.className = "movie-title";
    title.textContent = movie.title;
    const meta = document.createElement("span");
    meta.className = "movie-meta";
    meta.textContent = `${movie.releaseYear} · ${movie.genre}`;
    item.append(title, meta);
    return item;
  }));
}

function fillGenres(select, extra) {
  select.append(...GENRES.map((genre) => {
    const option = document.createElement("option");
    option.value = genre;
    option.textContent = genre.charAt(0) + genre.slice(1).toLowerCase();
    return option;
  }));
  if (extra) select.value = extra;
}

function customerId() {
  const raw = new URLSearchParams(window.location.search).get("customer");
  return raw === null || raw === "" ? "1" : raw;
}

async function loadCustomer() {
  const status = $("customer-status");
  const panel = $("customer");
  setStatus(status, "Loading…");
  try {
    const customer = expectShape(
      await api(`/api/customers/${encodeURIComponent(customerId())}`), isCustomer, "a customer");
    $("customer-name").textContent = customer.name;
    $("genre-select").value = customer.favoriteGenre;
    $("genre-select").dataset.saved = customer.favoriteGenre;
    renderMovies($("recommended"), customer.recommendedMovies);
    panel.hidden = false;
    setStatus(status, "");
  } catch (err) {
    panel.hidden = true;
    if (err.status === 404) {
      setStatus(status, `Customer not found. ${err.message}`, "notfound");
    } else {
      setStatus(status, describe(err), "error");
    }
  }
}

function describe(err) {
  const detail = err instanceof ApiError ? [err.title, err.detail].filter(Boolean).join(". ")
    : "The page failed unexpectedly";
  return `Something went wrong: ${detail}`;
}

async function changeGenre(event) {
  const select = event.target;
  const status = $("customer-status");
  select.disabled = true;
  setStatus(status, "Saving…");
  try {
    await api(`/api/customers/${encodeURIComponent(customerId())}/genre`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ favoriteGenre: select.value }),
    });
    await loadCustomer();
  } catch (err) {
    // The server kept the old genre: show that one, not the choice it refused.
    if (select.dataset.saved) select.value = select.dataset.saved;
    setStatus(status, describe(err).replace("Something went wrong", "Could not save"), "error");
  } finally {
    select.disabled = false;
    select.focus(); // disabling it while saving moved focus away; give it back
  }
}

async function loadMovies() {
  const genre = $("genre-filter").value;
  const status = $("movies-status");
  setStatus(status, "Loading…");
  try {
    const movies = expectShape(
      await api(genre ? `/api/movies/${genre}` : "/api/movies"), isMovieList, "the movies");
    renderMovies($("movies"), movies);
    setStatus(status, movies.length ? "" : "No movies in this genre yet.");
  } catch (err) {
    $("movies").replaceChildren();
    setStatus(status, describe(err), "error");
  }
}

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (tab.id === "tab-movies" && !$("movies").children.length) loadMovies();
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  fillGenres($("genre-select"));
  fillGenres($("genre-filter"), "");
  $("genre-select").addEventListener("change", changeGenre);
  $("genre-filter").addEventListener("change", loadMovies);
  setUpTabs();
  loadCustomer();
});
