"""`make bench`: both services against the floors F1 and F2, in one run, on loopback.

    python -m bench [--quick] [--no-scale] [--rounds N] [--duration S] [--warmup S]
                    [--pairs N] [--pair-duration S] [--instances N] [--phases N]
                    [--settings A,B]

Starts a throwaway embedded PostgreSQL (the launcher of `make run`), both services exactly as
their containers run them (console script, environment, one process each) and the floors of
bench/floors.py; loads every target with wrk (1 thread, 32 connections) after a warm-up, in
interleaved rounds so that drift of the machine hits every target alike, and reports medians.
Ratios to F1/F2 are the median of the per-round ratios. Then the settings' costs (tracing on at
every request, a tenth and none sampled, on with its work a request switched off, the request
log line off, and a control that changes nothing), each in pairs of short runs beside a plain
baseline started with them (`measure_costs`), and tracing's work a request inside the traced
processes, switched off and on under load (`measure_per_request`). Then it seeds 100,000 movies
and measures again (scale mode). Writes bench/results.json and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE
from typing import Any, NamedTuple

import asyncpg
import httpx

from bench.switchable import MARK, OFF, ON, RECORD
from netflux_devstack.otlp import otlp_sink
from netflux_devstack.polling import NotReady, wait_until
from netflux_devstack.ports import free_port
from netflux_devstack.postgres import EmbeddedPostgres, ensure_database

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / ".out"
DATABASE = "netflux"
ROLE_URL = "postgresql://{role}:{role}@127.0.0.1:{port}/" + DATABASE
CUSTOMERS = 1_000
SCALE_MOVIES = 100_000
CONNECTIONS = 32
# What "the framework" costs to import; cold start is compared with it.
FRAMEWORK_IMPORT = "import fastapi, sqlalchemy, asyncpg, pydantic, uvicorn"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- processes -----------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    port: int

    @property
    def records(self) -> Path:
        """Where `bench.switchable` records this process's signals."""
        return records_of(self.name)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def signal_recorded(self, signum: int) -> None:
        """Sends one of `bench.switchable`'s signals and waits for its record: the process has
        handled it before anything else is done."""
        lines = self.records.read_text().count("\n") if self.records.exists() else 0

        def recorded() -> bool:
            return self.records.exists() and self.records.read_text().count("\n") > lines

        self.popen.send_signal(signum)
        wait_until(recorded, timeout=5, interval=0.001, what=f"{self.name}'s record of {signum}")

    def tracing_per_request(self, on: bool) -> None:
        """Tracing's work a request on or off (run by `bench.switchable`)."""
        self.signal_recorded(ON if on else OFF)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def spawn(name: str, argv: Sequence[str], env: dict[str, str], port: int) -> Proc:
    OUT.mkdir(parents=True, exist_ok=True)
    log = (OUT / f"{name}.log").open("ab")
    # cwd is the output folder: a developer's .env in the repo must not change the settings.
    popen = subprocess.Popen(
        list(argv), env=env, cwd=OUT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Proc(name, popen, port)


def wait_ready(proc: Proc, path: str, timeout: float = 60) -> float:
    """Seconds from now until `path` answers 200; polls every 10 ms (it measures cold start)."""
    started = time.monotonic()

    with httpx.Client(timeout=1) as http:

        def answers() -> bool:
            try:
                return http.get(proc.base + path).status_code == 200
            except httpx.HTTPError:
                return False

        def exited() -> str | None:
            if proc.popen.poll() is None:
                return None
            return f"exited during start-up; see {OUT / proc.name}.log"

        try:
            wait_until(answers, timeout=timeout, what=proc.name, interval=0.01, give_up=exited)
        except NotReady as exc:
            raise SystemExit(str(exc)) from exc
    return time.monotonic() - started


def service_env(port: int, database_url: str, **extra: str) -> dict[str, str]:
    """The container's environment (see the Dockerfile), pointed at loopback."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DB_", "DATABASE_", "MOVIE_", "CUSTOMER_", "LOG_", "OTEL_", "ACCESS_LOG")
        )
    }
    venv_bin = str(Path(sys.executable).parent)
    return {
        **inherited,
        "PATH": f"{venv_bin}:{inherited.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        **extra,
    }


def service_argv(service: str) -> list[str]:
    """The container's CMD: the service's console script."""
    return [str(Path(sys.executable).parent / service)]


def records_of(name: str) -> Path:
    return OUT / f"{name}.switch"


def spawn_switchable(service: str, name: str, env: dict[str, str], port: int) -> Proc:
    """The service's console script run by `bench.switchable`, which records the signals it
    handles in the process's `records`."""
    env = {**env, "PYTHONPATH": str(ROOT), RECORD: str(records_of(name))}
    return spawn(name, [sys.executable, "-m", "bench.switchable", service], env, port)


# --- load --------------------------------------------------------------------------------------


@dataclass
class Target:
    key: str
    label: str
    url: str
    script: str
    servers: list[Proc]  # whose CPU the requests cost
    env: dict[str, str] = field(default_factory=dict)


# The services again with one setting changed: tracing on (exporting to a local OTLP sink, as to
# a sidecar collector), and the per-request log line off, each compared with a plain baseline
# started with them (`measure_costs`); the ratios are the settings' costs. "again" changes
# nothing: more plain processes whose ratio, ideally 1, is what this machine's noise and the
# difference between processes alone make of a ratio (the resolution of the others).
BASELINE = "plain"  # the untraced services the settings are compared with
VARIANTS = {
    "traced": "tracing on, every request sampled",
    "sampled": "tracing on, 10 % sampled",
    "unsampled": "tracing on, nothing sampled",
    "idle": "tracing on, its work a request switched off",
    "nolog": "ACCESS_LOG=false",
    "again": "the same again (control)",
}
# The sampler of each tracing setting. "unsampled" is what tracing being on costs before any span
# is recorded, "traced" what it costs when every request is.
SAMPLERS = {
    "traced": {},  # the SDK's default, parent-based always-on
    "sampled": {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    },
    "unsampled": {"OTEL_TRACES_SAMPLER": "parentbased_always_off"},
}


# Tracing on as at a tenth, its work a request switched off from the start (bench.switchable):
# what tracing costs a process besides its requests, which measure_per_request leaves out.
IDLE = "idle"


def variant_env(name: str, otlp_endpoint: str) -> dict[str, str]:
    if name == "nolog":
        return {"ACCESS_LOG": "false"}
    if name in SAMPLERS or name == IDLE:
        sampler = SAMPLERS.get(name, SAMPLERS["sampled"])
        return {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint, **sampler}
    return {}  # the baseline and the control


def ensure_wrk() -> str:
    if found := shutil.which("wrk"):
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: `sudo apt-get install -y wrk` (or your package manager)")
    say("installing wrk with apt-get")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        subprocess.run(install, capture_output=True, check=True)
    return shutil.which("wrk") or "wrk"


def wrk_script(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.lua"
    lua = BENCH / "lua"
    path.write_text((lua / f"{name}.lua").read_text() + "\n" + (lua / "common.lua").read_text())
    return path


def run_wrk(
    wrk: str, target: Target, duration: float, during: Callable[[], None] | None = None
) -> dict[str, Any]:
    """One load run; `during` is called once the load has started, and the run waits for it."""
    cpu_before = sum(p.cpu_seconds() for p in target.servers)
    seconds = max(1, round(duration))
    argv = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s"]
    argv += ["-s", str(wrk_script(target.script)), target.url]
    env = {**os.environ, **target.env}
    with subprocess.Popen(argv, stdout=PIPE, stderr=PIPE, text=True, env=env) as proc:
        try:
            if during is not None:
                during()
            stdout, stderr = proc.communicate(timeout=seconds + 30)
        except BaseException:
            proc.kill()
            raise
    cpu = sum(p.cpu_seconds() for p in target.servers) - cpu_before
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed on {target.url}:\n{stdout}\n{stderr}")
    raw: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    requests = max(raw["requests"], 1)
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    if raw["requests"] == 0:
        # Nothing came back within the run: every connection's request failed to finish.
        errors = CONNECTIONS
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": errors,
        "requests": raw["requests"],
        "cpu_ms_per_request": 1000 * cpu / requests,
    }


def measure(
    wrk: str, targets: list[Target], rounds: int, duration: float, warmup: float
) -> dict[str, dict[str, Any]]:
    for target in targets:
        say(f"warm-up {target.label}")
        run_wrk(wrk, target, warmup)
    per_round: dict[str, list[dict[str, Any]]] = {t.key: [] for t in targets}
    for n in range(rounds):
        # Every other round backwards (ABBA): a target measured after its pair in one round is
        # measured before it in the next, so a drift in the machine's speed cancels out.
        for target in targets if n % 2 == 0 else targets[::-1]:
            result = run_wrk(wrk, target, duration)
            per_round[target.key].append(result)
            say(
                f"round {n + 1}/{rounds} {target.label}: {result['rps']:,.0f} req/s, "
                f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}"
            )
    summary: dict[str, dict[str, Any]] = {}
    for target in targets:
        rs = per_round[target.key]
        summary[target.key] = {
            "label": target.label,
            "rps": statistics.median(r["rps"] for r in rs),
            "p50_ms": statistics.median(r["p50_ms"] for r in rs),
            "p99_ms": statistics.median(r["p99_ms"] for r in rs),
            "errors": sum(r["errors"] for r in rs),
            "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in rs),
            "rounds": rs,
        }
    for key, s in summary.items():
        for floor in ("f1", "f2"):
            if floor in per_round:
                ratios = [
                    mine["rps"] / base["rps"]
                    for mine, base in zip(per_round[key], per_round[floor], strict=True)
                ]
                s[f"x_{floor}"] = statistics.median(ratios)
    return summary


# --- database ----------------------------------------------------------------------------------


async def seed_customers(admin_url: str, count: int) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            """
            INSERT INTO customer.customer (name, favorite_genre)
            SELECT 'Customer ' || g, (ARRAY['ACTION','COMEDY','CRIME','DRAMA'])[1 + g % 4]
            FROM generate_series((SELECT count(*) FROM customer.customer) + 1, $1::int) AS g
            """,
            count,
        )
        await conn.execute("ANALYZE customer.customer")
    finally:
        await conn.close()


async def seed_movies(admin_url: str, count: int) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            """
            INSERT INTO movie.movie (title, release_year, genre)
            SELECT 'Movie ' || g, 1900 + g % 120,
                   (ARRAY['ACTION','COMEDY','CRIME','DRAMA'])[1 + g % 4]
            FROM generate_series((SELECT count(*) FROM movie.movie) + 1, $1::int) AS g
            """,
            count,
        )
        await conn.execute("ANALYZE movie.movie")
    finally:
        await conn.close()


@contextmanager
def postgres(services: int = 2) -> Iterator[EmbeddedPostgres]:
    """A throwaway PostgreSQL with room for `services` service processes' connections."""
    folder = Path(tempfile.mkdtemp(prefix="netflux-bench-pg-"))
    folder.chmod(0o755)  # the unprivileged server user must reach the data folder
    # Durable like production (fsync on): the PATCHes of the mixed run pay for their commits.
    # Each service keeps a pool of up to ten connections (movie-service one more to LISTEN),
    # plus the floor F2's pool and the bench's own: with the settings' instances that is far
    # more than PostgreSQL's default of 100 (a refused connection would be a 503, not a
    # measurement).
    pg = EmbeddedPostgres(folder / "data", free_port(), max_connections=50 + 12 * services)
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --- start-up --------------------------------------------------------------------------------


def timed_import(python: str, statement: str) -> float:
    started = time.monotonic()
    subprocess.run([python, "-c", statement], check=True, cwd=OUT)
    return time.monotonic() - started


def cold_starts(
    service: str, env: dict[str, str], port: int, times: int
) -> tuple[float, list[float]]:
    """Median seconds from spawn to the first 200 of /actuator/health, over `times` spawns."""
    seconds = []
    for _ in range(times):
        started = time.monotonic()
        proc = spawn(f"{service}-coldstart", service_argv(service), env, port)
        try:
            wait_ready(proc, "/actuator/health")
            seconds.append(time.monotonic() - started)
        finally:
            proc.stop()
    return statistics.median(seconds), seconds


def floor_argv(floor: str, port: int) -> list[str]:
    return [sys.executable, "-m", "bench.floors", floor, "--port", str(port)]


def start_variants(
    names: list[str], instances: int, otlp_endpoint: str, movie_db: str, customer_db: str
) -> dict[str, list[tuple[Proc, Proc]]]:
    """`instances` pairs (a movie-service and a customer-service calling it) per setting, the
    plain baseline first; all up before any is measured, so that they share one history.

    One setting's pairs start at a time: thirty processes importing at once on two cores took
    longer than `wait_ready` allows."""
    pairs: dict[str, list[tuple[Proc, Proc]]] = {}
    for name in [BASELINE, *names]:
        extra = variant_env(name, otlp_endpoint)
        for n in range(instances):
            m_port, c_port = free_port(), free_port()
            m_env = service_env(m_port, movie_db, **extra)
            c_env = service_env(
                c_port, customer_db, MOVIE_SERVICE_URL=f"http://127.0.0.1:{m_port}", **extra
            )
            # All through bench.switchable, the baseline too, so that only the setting differs.
            movie = spawn_switchable("movie-service", f"movie-service-{name}-{n}", m_env, m_port)
            customer = spawn_switchable(
                "customer-service", f"customer-service-{name}-{n}", c_env, c_port
            )
            pairs.setdefault(name, []).append((movie, customer))
        for movie, customer in pairs[name]:
            wait_ready(movie, "/actuator/health")
            wait_ready(customer, "/actuator/health")
            if name == IDLE:
                movie.tracing_per_request(False)
                customer.tracing_per_request(False)
    return pairs


def variant_targets(
    variants: dict[str, list[tuple[Proc, Proc]]], kinds: Sequence[str] = ("genre", "customer")
) -> dict[tuple[str, str], list[Target]]:
    """The genre and customer targets of every instance of every setting, by (setting, kind)."""
    customers = {"BENCH_CUSTOMERS": str(CUSTOMERS)}
    targets: dict[tuple[str, str], list[Target]] = {}
    for name, instances in variants.items():
        what = VARIANTS.get(name, "plain")
        for n, (movie, customer) in enumerate(instances):
            genre = Target(
                f"genre_{name}_{n}",
                f"GET /api/movies/ACTION, {what}",
                movie.base + "/api/movies/ACTION",
                "plain",
                [movie],
            )
            customer_target = Target(
                f"customer_{name}_{n}",
                f"GET /api/customers/{{1..{CUSTOMERS}}}, {what}",
                customer.base,
                "customers",
                [customer, movie],
                customers,
            )
            for kind, target in (("genre", genre), ("customer", customer_target)):
                if kind in kinds:
                    targets.setdefault((name, kind), []).append(target)
    return targets


class PairRatio(NamedTuple):
    """One pair's ratios, setting over baseline, and which instances ran."""

    cpu: float  # CPU per request
    rps: float  # throughput
    pairing: tuple[int, int]  # (baseline instance, setting instance)


def measure_costs(
    wrk: str, targets: dict[tuple[str, str], list[Target]], pairs: int, duration: float
) -> dict[str, Any]:
    """Each setting's cost: one of its instances and one of the plain baseline's run in turns,
    `pairs` times, every other pair the other way round (ABBA), and the ratio of each pair (CPU
    per request, throughput).

    Short runs side by side rather than a place in the long rounds: this machine's speed drifts
    by the second (one process's CPU per request moved 15 % between two 8 s runs), so only
    adjacent runs compare, and many pairs are needed. The settings take turns pair by pair, so
    the control (`again`, which changes nothing) sees the same stretch of the machine's drift as
    the others: its spread is what the noise makes of a ratio that is 1.

    The baseline is not the services of the long rounds: those have served every target, PATCHes
    included, and a control measured against them came out x0.91-0.94, as cheap as the effects
    to be measured. Its processes start with the settings' and serve the same kinds of requests
    (each setting's turn runs one of them). Processes also differ from one another by several
    per cent for good (a fixed hash seed and no address randomisation did not remove it), so
    each setting runs in several instances, and the pairs go through every combination of a
    baseline instance with a setting's instance (`pairing`).
    Reported: the median of the pair ratios and a distribution-free 90 % interval of it, which
    treats the pairs as independent: it covers the run-to-run noise, not fully the difference
    between a few processes (the control shows that).
    """
    measured = {key: each for key, each in targets.items() if key[0] != BASELINE}
    for each in targets.values():
        for target in each:
            run_wrk(wrk, target, 1)  # warm-up
    say(f"settings' costs: {len(measured)} targets x {pairs} pairs of {duration:g} s runs")
    ratios: dict[tuple[str, str], list[PairRatio]] = {key: [] for key in measured}
    for n in range(pairs):
        for (name, kind), instances in measured.items():
            bases = targets[(BASELINE, kind)]
            i, j = pairing(n, len(bases))
            base, variant = bases[i], instances[j]
            first, second = (base, variant) if n % 2 == 0 else (variant, base)
            a, b = run_wrk(wrk, first, duration), run_wrk(wrk, second, duration)
            mine, plain = (b, a) if n % 2 == 0 else (a, b)
            if mine["errors"] or plain["errors"]:
                failed = ", ".join(
                    t.key for t, r in ((base, plain), (variant, mine)) if r["errors"]
                )
                raise SystemExit(f"errors while measuring {failed}: see {OUT}/*.log")
            ratios[(name, kind)].append(
                PairRatio(
                    mine["cpu_ms_per_request"] / plain["cpu_ms_per_request"],
                    mine["rps"] / plain["rps"],
                    (i, j),
                )
            )
    costs: dict[str, Any] = {}
    for (name, kind), instances in measured.items():
        cpu = [r.cpu for r in ratios[(name, kind)]]
        low, high = median_interval(cpu)
        throughput = statistics.median(r.rps for r in ratios[(name, kind)])
        label = instances[0].label
        costs[f"{kind}_{name}"] = {
            "label": label,
            "instances": len(instances),
            "rps_ratio": throughput,
            "throughput_loss_pct": 100 * (1 - throughput),
            "cpu_per_request_ratio": statistics.median(cpu),
            "cpu_per_request_ratio_90": [low, high],
            "cpu_per_request_ratio_pairs": cpu,
            "pairings": [r.pairing for r in ratios[(name, kind)]],
        }
        say(
            f"{label}: CPU per request x{statistics.median(cpu):.3f} "
            f"(90 % interval x{low:.3f}-{high:.3f}), throughput x{throughput:.3f}"
        )
    return costs


def measure_per_request(
    wrk: str,
    targets: dict[tuple[str, str], list[Target]],
    phases: int,
    phase: float = 0.6,
    settle: float = 0.2,
) -> dict[str, Any]:
    """Tracing's work a request, inside each tracing setting's own processes: under one
    continuous load on each instance in turn, tracing's per-request work is switched off and on
    every `phase` seconds (`bench.switchable`), `phases` times, and each phase's CPU per request
    is taken from `settle` seconds after its switch to the next one (the processes record their
    CPU time and answered requests at both moments), so that requests begun before a switch
    are not counted in the phase after it. Each three consecutive phases (off, on, off or on,
    off, on) give a ratio, on / off, the middle one against the mean of the other two, which
    cancels a drift that is linear over the 1.8 s (`triplet_ratio`). Reported: their median
    with its interval, and each instance's median.

    The span export runs in its own thread when a batch is due (every 5 s, or at 512 spans): at
    a tenth sampled in one triplet out of several, and often in an "off" phase after the spans'
    "on" one. So the export's CPU in an instance's measured phases is divided among the
    requests its "on" phases served, and added to each of them (what falls in the 0.2 s
    between a switch and its phase's start is dropped, as evenly, for both states).

    Why alternate this fast: the machine's speed moves by the second (identical 2 s runs of one
    process, one after another, differed by up to 30 %: its CPU per request is what is left of
    one core while wrk and the export run on the other), and the processes differ from one
    another for good, which limits `measure_costs`. The interval treats the triplets as
    independent; neighbours in time are not quite, so it is somewhat narrow (the instances'
    medians show the spread between processes). What a process pays for tracing besides its
    requests is not in these ratios (see bench/switchable.py): the `idle` setting compares it
    between processes, with `measure_costs`' resolution; the two multiply.
    """
    traced = {key: each for key, each in targets.items() if key[0] in SAMPLERS}
    say(
        f"tracing's work a request, switched in one process: {len(traced)} targets, "
        f"{phases} phases of {phase:g} s on each instance"
    )
    found: dict[str, Any] = {}
    for (name, kind), instances in traced.items():
        ratios: list[float] = []
        by_instance: list[float] = []
        exports: list[float] = []
        for target in instances:
            phased = alternate(wrk, target, phases, phase, settle)
            export = export_per_request(phased)
            mine = [triplet_ratio(phased[n : n + 3], export) for n in range(0, phases, 3)]
            ratios += mine
            by_instance.append(statistics.median(mine))
            exports.append(export)
        low, high = median_interval(ratios)
        label = instances[0].label
        found[f"{kind}_{name}"] = {
            "label": label,
            "instances": len(instances),
            "phases": phases,
            "phase_s": phase,
            "cpu_per_request_ratio": statistics.median(ratios),
            "cpu_per_request_ratio_90": [low, high],
            "cpu_per_request_ratio_by_instance": by_instance,
            "cpu_per_request_ratio_triplets": ratios,
            "export_cpu_ms_per_traced_request": [1000 * e for e in exports],
        }
        say(
            f"{label}, its work a request: CPU per request x{statistics.median(ratios):.3f} "
            f"(90 % interval x{low:.3f}-{high:.3f}, {len(ratios)} triplets; instances "
            + ", ".join(f"x{r:.3f}" for r in by_instance)
            + ")"
        )
    return found


class Phase(NamedTuple):
    on: bool  # tracing's per-request work
    main_cpu: float  # seconds of the processes' main threads, which serve the requests
    other_cpu: float  # seconds of their other threads: the span export's
    answered: int  # by the entry process (the target's first)


def alternate(wrk: str, target: Target, phases: int, phase: float, settle: float) -> list[Phase]:
    """One instance's phases under one load (see measure_per_request), from "off" (the state
    the processes are not in, so the first switch is a real one); tracing's work a request on
    again after, as the other measurements expect."""
    procs = target.servers
    for proc in procs:
        proc.records.unlink(missing_ok=True)

    def switching() -> None:
        time.sleep(1)  # the load's connections up
        due = time.monotonic()
        for n in range(phases + 1):
            for proc in procs:
                proc.tracing_per_request(n % 2 == 1)
            if n == phases:
                break
            time.sleep(settle)
            for proc in procs:
                proc.signal_recorded(MARK)
            due += phase
            time.sleep(max(0.0, due - time.monotonic()))

    result = run_wrk(wrk, target, phases * phase + 2, during=switching)
    if result["errors"]:
        raise SystemExit(f"errors while measuring {target.key}: see {OUT}/*.log")
    for proc in procs:
        proc.tracing_per_request(True)
    try:
        return phases_of([proc.records.read_text() for proc in procs], phases)
    except ValueError as error:
        raise SystemExit(f"{target.key}: {error}; see {OUT}/*.switch") from None


def phases_of(records: Sequence[str], phases: int) -> list[Phase]:
    """The phases in the processes' records (the entry's first): each from its mark to the
    next switch, CPU summed over the processes, requests the entry's.

    Each process records switch 0, mark 0, switch 1, mark 1, ..., switch `phases` (and the
    switch back on after them), each as "<state> <CPU ns> <main thread's CPU ns> <requests
    answered>", the states off, off, on, on, off, ... ValueError otherwise, or for a phase
    that served no request (the load had stopped)."""
    expected = ["on" if (n // 2) % 2 else "off" for n in range(2 * phases + 1)]
    rows = [[line.split() for line in text.splitlines()[: 2 * phases + 1]] for text in records]
    if any([row[0] for row in each] != expected for each in rows):
        raise ValueError("a process's records are not the switches and marks sent")
    found = []
    for n in range(phases):
        mark, end = 2 * n + 1, 2 * n + 2
        cpu, main = (
            sum(int(each[end][column]) - int(each[mark][column]) for each in rows) / 1e9
            for column in (1, 2)
        )
        answered = int(rows[0][end][3]) - int(rows[0][mark][3])
        if answered <= 0:
            raise ValueError(f"phase {n} served no request")
        found.append(Phase(expected[mark] == "on", main, cpu - main, answered))
    return found


def export_per_request(phases: Sequence[Phase]) -> float:
    """The other threads' CPU (the span export's) over all `phases`, per request of the "on"
    ones: only they make spans, whichever phase the export of them ran in."""
    return sum(p.other_cpu for p in phases) / sum(p.answered for p in phases if p.on)


def triplet_ratio(three: Sequence[Phase], export: float) -> float:
    """on / off of three consecutive phases, the middle one against the mean of the others;
    each phase counts its main threads' CPU only, and the "on" ones the export's at its
    average over the run instead, `export` (seconds a request)."""

    def per_request(p: Phase) -> float:
        return p.main_cpu / p.answered + (export if p.on else 0.0)

    first, middle, last = three
    sides = (per_request(first) + per_request(last)) / 2
    return per_request(middle) / sides if middle.on else sides / per_request(middle)


def pairing(n: int, k: int) -> tuple[int, int]:
    """(baseline instance, setting instance) of the n-th pair, for k instances of each: pairs
    2m and 2m+1 measure one pairing both ways round (ABBA), and 2k² pairs cover all k²."""
    m = n // 2
    return m % k, (m + m // k) % k


def median_interval(values: list[float], level: float = 0.9) -> tuple[float, float]:
    """An interval holding the median with at least `level` confidence, from order statistics:
    the k-th smallest and k-th largest value, k as large as the binomial distribution allows
    (no assumption about the ratios' distribution). Below 5 values it is their whole range."""
    ordered = sorted(values)
    n = len(ordered)
    k = 0  # values left out at each end
    while k + 1 <= n // 2:
        # The median lies outside [x(k+2), x(n-k-1)] with probability 2 * P(Binomial(n, 1/2) <= k)
        outside = 2 * sum(math.comb(n, i) for i in range(k + 2)) / 2**n
        if outside > 1 - level:
            break
        k += 1
    return ordered[k], ordered[n - 1 - k]


def build_targets(
    movie: Proc, customer: Proc, f1: Proc, f2: Proc, etag: str | None
) -> list[Target]:
    genre_path = "/api/movies/ACTION"
    genre_url = movie.base + genre_path
    customers = {"BENCH_CUSTOMERS": str(CUSTOMERS)}
    both = [customer, movie]
    targets = [
        Target("f1", "F1 raw ASGI, constant bytes", f1.base + "/", "plain", [f1]),
        Target(
            "f2", "F2 raw ASGI + asyncpg + orjson", f2.base + "/api/movies/ACTION", "plain", [f2]
        ),
        Target("movies", "GET /api/movies", movie.base + "/api/movies", "plain", [movie]),
        Target("genre", "GET /api/movies/ACTION", genre_url, "plain", [movie]),
    ]
    if etag:  # only once the service sends ETags
        label = "GET /api/movies/ACTION If-None-Match (304)"
        env = {"BENCH_ETAG": etag}
        targets.append(Target("conditional", label, genre_url, "conditional", [movie], env))
    label = f"GET /api/customers/{{1..{CUSTOMERS}}}"
    targets += [
        Target("customer", label, customer.base, "customers", both, customers),
        Target("mixed", "customers, 10 % PATCH", customer.base, "mixed", both, customers),
        Target(
            "liveness",
            "GET /actuator/health/liveness (FastAPI, no DB)",
            movie.base + "/actuator/health/liveness",
            "plain",
            [movie],
        ),
    ]
    return targets


# --- report ------------------------------------------------------------------------------------


def table(summary: dict[str, dict[str, Any]], rss: dict[str, float]) -> str:
    nan = float("nan")
    lines = [
        "| target | req/s | p50 ms | p99 ms | errors | x F1 | x F2 | server CPU ms/req |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in summary.values():
        lines.append(
            f"| {s['label']} | {s['rps']:,.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
            f"{s['errors']} | {s.get('x_f1', nan):.2f} | {s.get('x_f2', nan):.2f} | "
            f"{s['cpu_ms_per_request']:.2f} |"
        )
    if rss:
        lines.append("")
        lines.append("RSS after load: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI smoke: 1 round of 2 s, <90 s")
    parser.add_argument("--no-scale", action="store_true", help="skip the 100,000-movie run")
    # An even number of rounds: every other one runs backwards (ABBA), and only pairs cancel.
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=4)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument(
        "--pairs",
        type=int,
        default=18,  # 2 x 3²: every pairing of the default three instances, both ways round
        help="runs of each setting beside the plain baseline",
    )
    parser.add_argument("--pair-duration", type=float, default=2)
    parser.add_argument(
        "--phases",
        type=int,
        default=45,  # 15 triplets an instance, 45 over the default three
        help="phases of tracing's work a request switched off and on, on each instance",
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=3,
        help="process pairs of each setting (and of the plain baseline) for the settings' costs",
    )
    parser.add_argument(
        "--settings",
        type=lambda text: text.split(","),
        default=list(VARIANTS),
        help=f"the settings to measure, comma-separated (default: {','.join(VARIANTS)})",
    )
    parser.add_argument("--output", type=Path, default=BENCH / "results.json")
    args = parser.parse_args(argv)
    if unknown := set(args.settings) - set(VARIANTS):
        parser.error(f"unknown settings: {', '.join(sorted(unknown))}")
    if args.instances < 1 or args.pairs < 1:
        parser.error("--instances and --pairs must be at least 1")
    if args.phases < 3 or args.phases % 3:
        parser.error("--phases must be a multiple of 3 (phases are compared three at a time)")
    if args.quick:
        args.rounds, args.duration, args.warmup, args.pair_duration = 1, 2, 1, 2
    return args


def measure_cold_start(
    movie_env: dict[str, str], customer_env: dict[str, str], runs: int
) -> dict[str, Any]:
    say("cold start: bare framework import vs spawn-to-healthy")
    timed_import(sys.executable, FRAMEWORK_IMPORT)  # fills the bytecode cache
    imports = [timed_import(sys.executable, FRAMEWORK_IMPORT) for _ in range(runs)]
    base = statistics.median(imports)
    result: dict[str, Any] = {"framework_import_s": base, "runs": {"import": imports}}
    for service, env in (("movie-service", movie_env), ("customer-service", customer_env)):
        seconds, each = cold_starts(service, env, int(env["PORT"]), runs)
        key = service.replace("-", "_")
        result[f"{key}_s"] = seconds
        result[f"{key}_ratio"] = seconds / base
        result["runs"][service] = each
    say(
        f"import {base:.2f} s; movie-service {result['movie_service_s']:.2f} s "
        f"({result['movie_service_ratio']:.2f}x), customer-service "
        f"{result['customer_service_s']:.2f} s ({result['customer_service_ratio']:.2f}x)"
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    wrk = ensure_wrk()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in [*OUT.glob("*.log"), *OUT.glob("*.switch")]:
        old.unlink()
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "settings": {
            "connections": CONNECTIONS,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "cost_pairs": 1 if args.quick else args.pairs,
            "cost_pair_duration_s": args.pair_duration,
            "cost_instances": 1 if args.quick else args.instances,
            "customers": CUSTOMERS,
        },
    }
    procs: list[Proc] = []
    floor_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    settings = ["traced"] if args.quick else args.settings
    instances = 1 if args.quick else args.instances
    services = 2 * (1 + (1 + len(settings)) * instances)  # the main pair, the settings' pairs
    with postgres(services) as pg, ExitStack() as stack:
        say(f"PostgreSQL on 127.0.0.1:{pg.port}")
        admin_url = pg.url(DATABASE)
        asyncio.run(ensure_database(pg.url(), DATABASE, (ROOT / "init.sql").read_text()))
        asyncio.run(seed_customers(admin_url, CUSTOMERS))
        movie_db = ROLE_URL.format(role="movie_service", port=pg.port)
        customer_db = ROLE_URL.format(role="customer_service", port=pg.port)
        movie_port, customer_port, f1_port, f2_port = (free_port() for _ in range(4))
        movie_env = service_env(movie_port, movie_db)
        customer_env = service_env(
            customer_port, customer_db, MOVIE_SERVICE_URL=f"http://127.0.0.1:{movie_port}"
        )
        results["cold_start"] = measure_cold_start(movie_env, customer_env, 1 if args.quick else 3)

        try:
            movie = spawn("movie-service", service_argv("movie-service"), movie_env, movie_port)
            procs.append(movie)
            wait_ready(movie, "/actuator/health")
            customer = spawn(
                "customer-service", service_argv("customer-service"), customer_env, customer_port
            )
            procs.append(customer)
            wait_ready(customer, "/actuator/health")
            # The settings' processes and the plain baseline's; the smoke keeps to its time
            # budget: one instance, the tracing variant only, on one target.
            sink = stack.enter_context(otlp_sink(keep=False))
            variants = start_variants(settings, instances, sink.endpoint, movie_db, customer_db)
            procs += [p for each in variants.values() for pair in each for p in pair]
            f2_argv = [*floor_argv("f2", f2_port), "--database-url", movie_db]
            f2 = spawn("f2", f2_argv, floor_env, f2_port)
            procs.append(f2)
            wait_ready(f2, "/api/movies/ACTION")

            for mode in ("small", "scale"):
                if mode == "scale":
                    if args.no_scale:
                        break
                    say(f"seeding {SCALE_MOVIES:,} movies")
                    asyncio.run(seed_movies(admin_url, SCALE_MOVIES))
                # F1 serves exactly what movie-service answers for the genre at this size.
                body = httpx.get(f"{movie.base}/api/movies/ACTION", timeout=60)
                (OUT / "f1-body.json").write_bytes(body.content)
                f1_argv = [*floor_argv("f1", f1_port), "--body", str(OUT / "f1-body.json")]
                f1 = spawn("f1", f1_argv, floor_env, f1_port)
                procs.append(f1)
                wait_ready(f1, "/")
                targets = build_targets(movie, customer, f1, f2, body.headers.get("etag"))
                if args.quick:  # the smoke keeps to its time budget; liveness is a reference only
                    targets = [t for t in targets if t.key != "liveness"]
                say(f"--- {mode}: {len(targets)} targets, {args.rounds} x {args.duration:g} s")
                summary = measure(wrk, targets, args.rounds, args.duration, args.warmup)
                rss = {p.name: p.rss_mb() for p in (movie, customer)}
                results[mode] = {"targets": summary, "rss_mb": rss}
                f1.stop()
                procs.remove(f1)
                print(f"\n{mode} catalogue:\n{table(summary, rss)}\n", flush=True)
                if mode == "small":  # the settings' costs do not depend on the catalogue's size
                    # The smoke measures the customer GET only.
                    kinds = ("customer",) if args.quick else ("genre", "customer")
                    pairs = 1 if args.quick else args.pairs
                    compared = variant_targets(variants, kinds)
                    results["settings_costs"] = measure_costs(
                        wrk, compared, pairs, args.pair_duration
                    )
                    results["tracing_per_request"] = measure_per_request(
                        wrk, compared, 6 if args.quick else args.phases
                    )
        finally:
            for proc in reversed(procs):
                proc.stop()

    if "scale" in results:
        small, scale = results["small"]["targets"], results["scale"]["targets"]
        results["scale_p99_ratio"] = {
            key: scale[key]["p99_ms"] / small[key]["p99_ms"]
            for key in scale
            if key in small and small[key]["p99_ms"] > 0
        }
        say(
            "p99 at 100,000 movies / p99 at the seed: "
            + ", ".join(f"{k} {v:.2f}" for k, v in results["scale_p99_ratio"].items())
        )
    cs = results["cold_start"]
    say(
        f"cold start / bare framework import ({cs['framework_import_s']:.2f} s): "
        f"movie-service {cs['movie_service_ratio']:.2f}x, "
        f"customer-service {cs['customer_service_ratio']:.2f}x"
    )
    results["elapsed_s"] = time.monotonic() - started
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    say(f"wrote {shown} in {results['elapsed_s']:.0f} s")
