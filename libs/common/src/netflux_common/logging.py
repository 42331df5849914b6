"""One log format for both services: single-line records on stdout, which CloudWatch keeps as-is."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    pass


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    # Add ours once and leave other handlers alone (pytest's caplog, a host's own set-up).
    if not any(isinstance(h, _StdoutHandler) for h in root.handlers):
        handler = _StdoutHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(level.upper())
