"""How the public edge behaves, shared by CloudFront/ALB (infra) and both local edges.

The security headers are the CloudFront response headers policy's; the local edges send the same
ones so a page that breaks under them breaks on a laptop first. Timeouts: an idle keep-alive
connection must be closed by the load balancer, never by the service first, or the ALB may send a
request on a connection the service is closing and answer 502
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout:
"we recommend that you configure the idle timeout of your application to be larger than the idle
timeout configured for the load balancer").
"""

from __future__ import annotations

ALB_IDLE_TIMEOUT_SECONDS = 60
SERVICE_KEEP_ALIVE_SECONDS = ALB_IDLE_TIMEOUT_SECONDS + 15

# The page is self-contained: its own scripts and same-origin API calls only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'"
)
FRAME_OPTIONS = "DENY"
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS_MAX_AGE_SECONDS = 63072000  # two years, as preload lists require at least one


def security_headers(*, tls: bool) -> dict[str, str]:
    """The headers every edge answer carries; HSTS only where the edge speaks TLS."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": FRAME_OPTIONS,
        "Referrer-Policy": REFERRER_POLICY,
    }
    if tls:
        headers["Strict-Transport-Security"] = (
            f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains; preload"
        )
    return headers


def is_published(relative_path: str) -> bool:
    """Whether a file under web/ is part of the site: dotfiles and dot-folders never are."""
    parts = (p for p in relative_path.split("/") if p not in ("", "."))  # "." is the root itself
    return not any(part.startswith(".") for part in parts)
