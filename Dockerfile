# One image recipe for every service; the service is a build argument. From the repository root:
#   docker build --platform linux/amd64 --build-arg SERVICE=movie-service -t netflux/movie-service .
# (`make images` builds every service in the catalogue.) Base images come from ECR Public (no
# Docker Hub rate limits); override with --build-arg PYTHON_IMAGE=...
ARG PYTHON_IMAGE=public.ecr.aws/docker/library/python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
ARG UV_VERSION=0.13.9
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<service folder>" >&2; exit 1; }
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first: this layer is rebuilt only when the lock or a pyproject changes. uv needs
# every workspace member's pyproject to read the lock (a new service adds its line here).
COPY pyproject.toml uv.lock ./
COPY libs/catalogue/pyproject.toml libs/catalogue/
COPY libs/common/pyproject.toml libs/common/
COPY libs/devstack/pyproject.toml libs/devstack/
COPY movie-service/pyproject.toml movie-service/
COPY customer-service/pyproject.toml customer-service/
COPY infra/pyproject.toml infra/
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-install-workspace --no-cache \
        --package "netflux-${SERVICE}"
COPY libs/catalogue libs/catalogue
COPY libs/common libs/common
COPY ${SERVICE} ${SERVICE}
# One name for the entry point whatever the service: CMD below cannot expand a build arg.
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-editable --no-cache --package "netflux-${SERVICE}" \
    && ln -s "/app/.venv/bin/${SERVICE}" /app/.venv/bin/netflux-service

FROM ${PYTHON_IMAGE}
ARG SERVICE
LABEL org.opencontainers.image.title="netflux-${SERVICE}"
RUN useradd --system --user-group --no-create-home --shell /usr/sbin/nologin app
COPY --from=builder /app/.venv /app/.venv
# 8080: the port every service listens on in ECS (docker compose sets each one's local port).
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PORT=8080
USER app
WORKDIR /app
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/actuator/health' % os.environ['PORT'], timeout=2)"]
# uvicorn drains in-flight requests on SIGTERM, which ECS and docker stop send.
STOPSIGNAL SIGTERM
CMD ["netflux-service"]
