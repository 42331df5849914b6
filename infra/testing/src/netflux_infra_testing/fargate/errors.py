"""The failures a run reports, each worded like the AWS message it stands for."""

from __future__ import annotations


class RunFailed(SystemExit):
    """The environment does not run: the message says which resource and why."""


class TaskFailedToStart(RunFailed):
    """What ECS reports as a stopped task's `stoppedReason` before any container ran.

    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
    """
