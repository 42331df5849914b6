"""The image tag a deployment runs: one rule, shared by the Terraform variable and `make deploy`.

No cdktf import: the deploy tool checks a tag before it synthesizes anything.
"""

from __future__ import annotations

import re

VARIABLE = "image_tag"  # the Terraform input variable: TF_VAR_image_tag or -var image_tag=...

# ECR's rule for a tag (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html:
# imageTag "[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}" at most 128 characters), narrowed to start with a
# letter or digit, as a Git commit and a release name do.
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
# Repositories are immutable and nothing pushes `latest`: a task naming it could never start.
FORBIDDEN = "latest"

# The same rule in Terraform, so that `terraform apply -var image_tag=latest` fails before any
# resource changes (https://developer.hashicorp.com/terraform/language/values/variables#custom-validation-rules).
TERRAFORM_CONDITION = (
    "${can(regex(" + '"' + PATTERN.replace("\\", "\\\\") + '"' + f", var.{VARIABLE}))"
    f' && var.{VARIABLE} != "{FORBIDDEN}"' + "}"
)
ERROR_MESSAGE = (
    "image_tag must name a pushed image (a commit such as 0123456789ab), "
    f"match {PATTERN} and not be {FORBIDDEN!r}."
)


class InvalidImageTag(ValueError):
    pass


def checked(tag: str) -> str:
    """`tag` when Terraform's validation would accept it, else InvalidImageTag."""
    if tag == FORBIDDEN or not re.fullmatch(PATTERN, tag):
        raise InvalidImageTag(ERROR_MESSAGE + f" Got {tag!r}.")
    return tag
