"""CloudFront and the ALB as one local HTTP server, configured from what the emulator holds.

ALB (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html):
rules in priority order, the default action last; conditions path-pattern (case-sensitive,
`*` and `?` wildcards, path only), http-header (case-insensitive wildcards), host-header and
http-request-method; actions forward and fixed-response. Targets register by IP; health checks
per target group (path, matcher, interval, timeout, thresholds) decide which get requests, and
with no healthy target the ALB fails open to all of them
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
A deregistered target gets no new requests and keeps its in-flight ones for up to the
deregistration delay.

CloudFront (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern):
behaviours in order, the default last; an S3 origin is read from the emulator's bucket (the
default root object for `/`), a custom origin (the ALB) gets the origin's custom headers
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html).
A method the behaviour does not allow gets 403. Not modelled: caching, TLS, compression.
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.readback import (
    Distribution,
    ListenerRule,
    TargetGroup,
)

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
    "upgrade", "host", "content-length",
}  # fmt: skip
SUPPORTED_CONDITIONS = {"path-pattern", "http-header", "host-header", "http-request-method"}


def wildcard(pattern: str, *, case: bool) -> re.Pattern[str]:
    """An ELB/CloudFront pattern: `*` any characters, `?` exactly one, nothing else special."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body + r"\Z", 0 if case else re.IGNORECASE)


@dataclass
class Target:
    ip: str
    port: int
    state: str = "initial"  # initial, healthy, unhealthy, draining
    passes: int = 0
    fails: int = 0
    reason: str = "not checked yet"
    in_flight: int = 0
    next_check: float = 0.0


@dataclass
class TargetGroupRuntime:
    config: TargetGroup
    targets: dict[tuple[str, int], Target] = field(default_factory=dict)
    turn: itertools.count[int] = field(default_factory=itertools.count)

    def pick(self) -> Target | None:
        live = [t for t in self.targets.values() if t.state != "draining"]
        healthy = [t for t in live if t.state == "healthy"]
        pool = healthy or live  # fail open
        return pool[next(self.turn) % len(pool)] if pool else None

    def check(self, http: httpx.Client, target: Target) -> None:
        url = f"http://{target.ip}:{target.port}{self.config.health_path}"
        try:
            status = http.get(url, timeout=self.config.timeout).status_code
            ok = _matches(self.config.matcher, status)
            reason = f"GET {self.config.health_path} -> {status} (matcher {self.config.matcher})"
        except httpx.HTTPError as exc:
            ok, reason = False, f"GET {self.config.health_path} -> {type(exc).__name__}"
        target.reason = reason
        if ok:
            target.passes, target.fails = target.passes + 1, 0
            if target.passes >= self.config.healthy_threshold and target.state != "draining":
                target.state = "healthy"
        else:
            target.passes, target.fails = 0, target.fails + 1
            if target.fails >= self.config.unhealthy_threshold and target.state != "draining":
                target.state = "unhealthy"


def _matches(matcher: str, status: int) -> bool:
    for part in matcher.split(","):
        low, _, high = part.partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


class Balancer:
    """The ALB + CloudFront stand-in; `url` is the distribution's address for tests."""

    def __init__(
        self,
        aws: Emulator,
        groups: dict[str, TargetGroup],
        rules: tuple[ListenerRule, ...],
        distribution: Distribution | None,
    ) -> None:
        for rule in rules:
            for condition in rule.conditions:
                if condition["Field"] not in SUPPORTED_CONDITIONS:
                    raise RunFailed(f"listener rule {rule.priority}: no stand-in for {condition}")
        self.aws = aws
        self.groups = {arn: TargetGroupRuntime(g) for arn, g in groups.items()}
        self.rules = rules
        self.distribution = distribution
        self.headers = _response_headers(aws, distribution)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._threads: list[threading.Thread] = []
        self._client: httpx.AsyncClient | None = None

    # targets (called from the rehearsal's thread)

    def register(self, group_arn: str, ip: str, port: int) -> None:
        with self.lock:
            self.groups[group_arn].targets[(ip, port)] = Target(ip, port)

    def target(self, group_arn: str, ip: str, port: int) -> Target:
        return self.groups[group_arn].targets[(ip, port)]

    def deregister(self, group_arn: str, ip: str, port: int) -> float:
        """Stop new requests to the target; wait for its in-flight ones (at most the
        deregistration delay). Returns the seconds it took."""
        group = self.groups[group_arn]
        started = time.monotonic()
        with self.lock:
            target = group.targets[(ip, port)]
            target.state = "draining"
        deadline = started + group.config.deregistration_delay
        while target.in_flight and time.monotonic() < deadline:
            time.sleep(0.1)
        with self.lock:
            group.targets.pop((ip, port), None)
        return time.monotonic() - started

    # serving

    def start(self, port: int) -> None:
        config = uvicorn.Config(self, host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        serve = threading.Thread(target=self._server.run, daemon=True, name="balancer")
        checks = threading.Thread(target=self._health_checks, daemon=True, name="health")
        self._threads = [serve, checks]
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RunFailed("the load balancer stand-in did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=10)

    def _health_checks(self) -> None:
        with httpx.Client() as http:
            while not self.stopping.is_set():
                now = time.monotonic()
                with self.lock:
                    due = [
                        (g, t)
                        for g in self.groups.values()
                        for t in g.targets.values()
                        if t.next_check <= now and t.state != "draining"
                    ]
                for group, target in due:
                    target.next_check = now + group.config.interval
                    group.check(http, target)
                self.stopping.wait(0.2)

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self._client = httpx.AsyncClient(timeout=httpx.Timeout(60, connect=3))
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self._client is not None:
                        await self._client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        status, out_headers, content = await self._cloudfront(
            scope["method"], raw_path, query, headers, body
        )
        present = {k.lower() for k, _ in out_headers}
        out_headers += [(k, v) for k, v in self.headers.items() if k.lower() not in present]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out_headers],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else content}
        )

    async def _cloudfront(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.distribution is None:
            return await self._alb(method, path, query, headers, body)
        for behaviour in self.distribution.behaviours:
            if wildcard(behaviour.path_pattern, case=True).match(path):
                break
        if method not in behaviour.allowed_methods:
            return 403, [("content-type", "text/plain")], b"method not allowed by CloudFront"
        origin = self.distribution.origins[behaviour.origin_id]
        if origin.s3:
            return await asyncio.to_thread(self._s3, origin.domain, path)
        forwarded = {**headers, **{k.lower(): v for k, v in origin.custom_headers.items()}}
        return await self._alb(method, path, query, forwarded, body)

    def _s3(self, domain: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self.distribution is not None
        bucket = domain.split(".s3")[0]
        key = path.lstrip("/") or self.distribution.default_root_object
        s3 = self.aws.client("s3")
        try:
            found = s3.get_object(Bucket=bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            # With origin access control and no s3:ListBucket, S3 answers 403 for a missing key.
            return 403, [("content-type", "application/xml")], b"<Error>AccessDenied</Error>"
        content_type = found.get("ContentType") or "application/octet-stream"
        return 200, [("content-type", content_type)], found["Body"].read()

    async def _alb(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        for rule in self.rules:
            if all(_condition(c, method, path, headers) for c in rule.conditions):
                break
        action = rule.action
        if action["Type"] == "fixed-response":
            fixed = action["FixedResponseConfig"]
            content_type = fixed.get("ContentType", "text/plain")
            return (
                int(fixed["StatusCode"]),
                [("content-type", content_type)],
                fixed.get("MessageBody", "").encode(),
            )
        if action["Type"] != "forward":
            return 501, [], f"no stand-in for the {action['Type']} action".encode()
        arn = (
            action.get("TargetGroupArn")
            or action["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]
        )
        with self.lock:
            target = self.groups[arn].pick()
            if target is not None:
                target.in_flight += 1
        if target is None:
            return 503, [("content-type", "text/plain")], b"503 Service Temporarily Unavailable"
        try:
            return await self._forward(target, method, path, query, headers, body)
        finally:
            with self.lock:
                target.in_flight -= 1

    async def _forward(
        self,
        target: Target,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self._client is not None
        sent = {k: v for k, v in headers.items() if k not in HOP_BY_HOP}
        sent["x-forwarded-proto"] = "http"
        target_path = path + (f"?{query}" if query else "")
        try:
            answer = await self._client.request(
                method,
                f"http://{target.ip}:{target.port}/",
                headers=sent,
                content=body,
                extensions={"target": target_path.encode("latin-1")},
            )
        except httpx.TimeoutException:
            return 504, [("content-type", "text/plain")], b"504 Gateway Time-out"
        except httpx.HTTPError:
            return 502, [("content-type", "text/plain")], b"502 Bad Gateway"
        kept = [
            (k, v)
            for k, v in answer.headers.multi_items()
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-encoding"
        ]
        if method == "HEAD" and "content-length" in answer.headers:
            kept.append(("content-length", answer.headers["content-length"]))
        return answer.status_code, kept, answer.content


def _condition(condition: dict[str, Any], method: str, path: str, headers: dict[str, str]) -> bool:
    kind = condition["Field"]
    if kind == "path-pattern":
        values = (condition.get("PathPatternConfig") or {}).get("Values") or condition["Values"]
        return any(wildcard(v, case=True).match(path) for v in values)
    if kind == "http-header":
        config = condition["HttpHeaderConfig"]
        value = headers.get(config["HttpHeaderName"].lower())
        return value is not None and any(
            wildcard(v, case=False).match(value) for v in config["Values"]
        )
    if kind == "host-header":
        values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition["Values"]
        host = headers.get("host", "").split(":")[0]
        return any(fnmatch.fnmatch(host.lower(), v.lower()) for v in values)
    if kind == "http-request-method":
        return method in condition["HttpRequestMethodConfig"]["Values"]
    return False


def _response_headers(aws: Emulator, distribution: Distribution | None) -> dict[str, str]:
    """The security headers of the default behaviour's response headers policy, if any
    (without HSTS: this stand-in speaks plain HTTP)."""
    if distribution is None:
        return {}
    cloudfront = aws.client("cloudfront")
    items = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    policy_ids = {
        d["DefaultCacheBehavior"].get("ResponseHeadersPolicyId")
        for d in items
        if d["DomainName"] == distribution.domain
    } - {None, ""}
    headers: dict[str, str] = {}
    for policy_id in policy_ids:
        config = cloudfront.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"][
            "ResponseHeadersPolicyConfig"
        ]
        security = config.get("SecurityHeadersConfig") or {}
        if csp := (security.get("ContentSecurityPolicy") or {}).get("ContentSecurityPolicy"):
            headers["Content-Security-Policy"] = csp
        if security.get("ContentTypeOptions"):
            headers["X-Content-Type-Options"] = "nosniff"
        if frame := (security.get("FrameOptions") or {}).get("FrameOption"):
            headers["X-Frame-Options"] = frame
        if referrer := (security.get("ReferrerPolicy") or {}).get("ReferrerPolicy"):
            headers["Referrer-Policy"] = referrer
    return headers
