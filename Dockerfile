# One image for all four services: `python -m services.<intake|routing|notify|reporting>`.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin apua
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY deploy/regions ./deploy/regions
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    APUA_HOST=0.0.0.0 \
    APUA_REGIONS_DIR=/app/deploy/regions
USER 10001
CMD ["python", "-m", "services.intake"]
