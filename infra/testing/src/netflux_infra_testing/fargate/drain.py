"""Proof that a task drains when ECS stops it: a request is in flight when SIGTERM arrives (its
body half sent), and it must still be answered, and the container must exit by itself (0) within
its stopTimeout rather than be killed (137).

ECS stops a task with SIGTERM, then SIGKILL after stopTimeout:
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass

from netflux_infra_testing.fargate.containers import Task, TaskRunner
from netflux_infra_testing.fargate.errors import RunFailed


@dataclass(frozen=True)
class Drained:
    status_line: str
    exit_codes: dict[str, int]
    stop_seconds: float


def stop_with_request_in_flight(
    runner: TaskRunner, task: Task, port: int, method: str, path: str, body: dict[str, str]
) -> Drained:
    payload = json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {task.ip}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((task.ip, port), timeout=30) as connection:
        connection.sendall(head + payload[:1])
        time.sleep(0.5)  # the request has reached the application
        codes: dict[str, int] = {}
        started = time.monotonic()
        stopper = threading.Thread(target=lambda: codes.update(runner.stop(task)))
        stopper.start()
        time.sleep(1.5)  # SIGTERM has been delivered; the server is shutting down
        if not stopper.is_alive():
            raise RunFailed(f"task {task.id} exited within 1.5 s of SIGTERM with a request open")
        connection.sendall(payload[1:])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        stopper.join(timeout=120)
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1") if answer else "(no answer)"
    return Drained(status_line, codes, time.monotonic() - started)
