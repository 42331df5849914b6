"""`make deploy ENV=...` and `make destroy ENV=...`: one environment from its Git checkout to a
verified site, and back.

Steps, one module each: `images` (which tag; build and push, or check a given one is pushed),
`guard` (never silently revert a release the pipeline shipped), `apply` (synthesize, then
Terraform in the stack's folder), `verify` (stable services, healthy targets, smoke test through
the public URL). Every AWS call goes through boto3 and every Terraform call through the AWS
provider: both honour AWS_ENDPOINT_URL, so each step can be pointed at an emulator.
"""

from __future__ import annotations


class DeployError(Exception):
    """A step failed; the message says what and what to do."""


def say(message: str) -> None:
    print(f"[deploy] {message}", flush=True)
