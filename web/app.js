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
  }
}

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
  if (response.ok) {
    return response.status === 204 ? null : response.json();
  }
  // RFC 9457 problem details carry a title and a human-readable detail.
  let problem = {};
  try { problem = await response.json(); } catch (err) { /* not JSON: keep the status */ }
  throw new ApiError(response.status, problem.title || `Error ${response.status}`, problem.detail);
}

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
    const customer = await api(`/api/customers/${encodeURIComponent(customerId())}`);
    $("customer-name").textContent = customer.name;
    $("genre-select").value = customer.favoriteGenre;
    renderMovies($("recommended"), customer.recommendedMovies);
    panel.hidden = false;
    setStatus(status, "");
  } catch (err) {
    panel.hidden = true;
    if (err.status === 404) {
      setStatus(status, `Customer not found. ${err.message}`, "notfound");
    } else {
      setStatus(status, `Something went wrong: ${err.title}. ${err.message}`, "error");
    }
  }
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
    setStatus(status, `Could not save: ${err.title}. ${err.message}`, "error");
  } finally {
    select.disabled = false;
  }
}

async function loadMovies() {
  const genre = $("genre-filter").value;
  const status = $("movies-status");
  setStatus(status, "Loading…");
  try {
    const movies = await api(genre ? `/api/movies/${genre}` : "/api/movies");
    renderMovies($("movies"), movies);
    setStatus(status, movies.length ? "" : "No movies in this genre yet.");
  } catch (err) {
    $("movies").replaceChildren();
    setStatus(status, `Something went wrong: ${err.title}. ${err.message}`, "error");
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
