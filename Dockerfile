# syntax=docker/dockerfile:1
# One image for all four services (`python -m services.<intake|routing|notify|reporting>`), for `migrate`, each
# service's `rebuild` and the admin commands: compose and Kubernetes run this one image, named pyyda-apua.
# Build a release with `make image` (it passes the version, the commit and the time as build arguments).

# The official Python image, pinned by the digest of its multi-architecture index so a moved tag changes nothing
# until Renovate proposes the new digest (renovate.json). Check a new one with
# `docker buildx imagetools inspect python:3.11-slim-bookworm`.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# The dependency layer: it depends on the lock alone, so a change of the code reuses it (and BuildKit's cache
# keeps the downloads between lock changes). Every file is checked against the lock's hashes.
COPY requirements.lock ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --require-hashes -r requirements.lock
# The project itself, with no dependency of its own to resolve and the build backend from the lock.
COPY pyproject.toml LICENSE ./
COPY LICENSES ./LICENSES
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir --no-deps --no-build-isolation .
# The version label below and the package's own version (which /openapi.json and apua_build_info report) are
# one: a build that names another version fails here.
ARG VERSION=""
RUN test -z "$VERSION" || python -c "import importlib.metadata as m, sys; v = m.version('pyyda-apua'); \
sys.exit(0 if v == sys.argv[1] else f'VERSION {sys.argv[1]} but the package is {v}')" "$VERSION"

FROM ${PYTHON_IMAGE}
ARG VERSION=""
ARG REVISION=""
ARG CREATED=""
LABEL org.opencontainers.image.title="pyyda-apua" \
      org.opencontainers.image.description="Pyydä apua! / Be om hjälp! / Ask for help!: the regional service behind the municipalities' help button for families" \
      org.opencontainers.image.licenses="EUPL-1.2" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.documentation="docs/operations.md, docs/configuration.md" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim-bookworm"
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin apua
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY LICENSE ./
COPY LICENSES ./LICENSES
COPY deploy/regions ./deploy/regions
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    APUA_HOST=0.0.0.0 \
    APUA_REGIONS_DIR=/app/deploy/regions
USER 10001
CMD ["python", "-m", "services.intake"]
