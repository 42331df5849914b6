"""The image manifest the emulator's ECR is given where a real push would upload one.

ECR stores a manifest as pushed; nothing offline ever pulls its layers, so a config digest is
all it needs to tell one image from another.
"""

from __future__ import annotations

import json


def image_manifest(config_digest: str, config_size: int = 0) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": config_size,
                "digest": config_digest,
            },
            "layers": [],
        }
    )
