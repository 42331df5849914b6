#!/usr/bin/env bash
# Builds STAND-IN base images offline, for CI on a machine that cannot pull from any registry.
# Users never need this: compose, the Dockerfiles and Testcontainers default to the official
# images on ECR Public. Each stand-in honours the contract of the image it replaces:
#   netflux-ci/postgres:standin  <- public.ecr.aws/docker/library/postgres:16-alpine
#                                   (Debian bookworm's PostgreSQL 15; same env vars, init folder,
#                                   pg_isready/psql, postgres in the foreground)
#   netflux-ci/nginx:standin     <- public.ecr.aws/nginx/nginx:stable-alpine
#                                   (Debian's nginx; conf.d/*.conf included, html root, foreground)
#   netflux-ci/python:standin    <- public.ecr.aws/docker/library/python:3.12-slim-bookworm
#                                   (Debian's Python 3.11 + venv, and this machine's CA bundle so
#                                   pip/uv get through the TLS-intercepting proxy)
# An image that already exists is kept (set REBUILD=1 to force).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

exists() { [ -z "${REBUILD:-}" ] && docker image inspect "$1" >/dev/null 2>&1; }
host_ca=/etc/ssl/certs/ca-certificates.crt
copy_ca='cp '"$host_ca"' "$1/usr/local/share/ca-certificates/host.crt" && chroot "$1" update-ca-certificates >/dev/null'

if ! exists netflux-ci/postgres:standin; then
    mmdebstrap --quiet --variant=apt --include=postgresql-15,ca-certificates,util-linux \
        --customize-hook='chroot "$1" pg_dropcluster 15 main || true' \
        --customize-hook='rm -rf "$1"/usr/lib/postgresql/15/lib/bitcode "$1"/usr/share/locale/* "$1"/usr/share/doc/* "$1"/var/lib/apt/lists/*' \
        --customize-hook='mkdir -p "$1"/docker-entrypoint-initdb.d "$1"/var/lib/postgresql/data' \
        --customize-hook="upload $here/postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh" \
        --customize-hook='chmod 755 "$1"/usr/local/bin/docker-entrypoint.sh' \
        bookworm "$work/postgres.tar"
    docker import \
        --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV PGDATA=/var/lib/postgresql/data' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'EXPOSE 5432' \
        --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
        --change 'CMD ["postgres"]' \
        "$work/postgres.tar" netflux-ci/postgres:standin >/dev/null
    echo "built netflux-ci/postgres:standin"
fi

if ! exists netflux-ci/nginx:standin; then
    mmdebstrap --quiet --variant=apt --include=nginx \
        --customize-hook='rm -f "$1"/etc/nginx/sites-enabled/default' \
        --customize-hook='mkdir -p "$1"/usr/share/nginx/html' \
        --customize-hook='ln -sf /dev/stdout "$1"/var/log/nginx/access.log && ln -sf /dev/stderr "$1"/var/log/nginx/error.log' \
        --customize-hook='rm -rf "$1"/usr/share/locale/* "$1"/usr/share/doc/* "$1"/var/lib/apt/lists/*' \
        bookworm "$work/nginx.tar"
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'EXPOSE 80' \
        --change 'CMD ["nginx", "-g", "daemon off;"]' \
        "$work/nginx.tar" netflux-ci/nginx:standin >/dev/null
    echo "built netflux-ci/nginx:standin"
fi

if ! exists netflux-ci/python:standin; then
    mmdebstrap --quiet --variant=apt --include=python3,python3-venv,ca-certificates,passwd \
        --customize-hook="$copy_ca" \
        --customize-hook='rm -rf "$1"/usr/share/locale/* "$1"/usr/share/doc/* "$1"/var/lib/apt/lists/*' \
        bookworm "$work/python.tar"
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["python3"]' \
        "$work/python.tar" netflux-ci/python:standin >/dev/null
    echo "built netflux-ci/python:standin"
fi
