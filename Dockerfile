# idp container image (production mode: it refuses to start until IDP_SECRET_KEY, IDP_ISSUER, IDP_DATABASE_URL,
# IDP_SMTP_URL and IDP_SMS_URL are given). `docker build -t idp .`, `docker run ... idp idp db upgrade` once, then `docker run ... idp`.
# Stage 1 builds a wheel and its dependencies; stage 2 installs them into a slim image that runs as a non-root user.

FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md ./
COPY idp ./idp
RUN python -m build --wheel --outdir /wheels \
 && pip wheel --no-cache-dir --wheel-dir /wheels /wheels/idp-*.whl

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IDP_ENVIRONMENT=production \
    IDP_MIGRATIONS_DIR=/app/migrations \
    IDP_LISTEN_HOST=0.0.0.0 \
    IDP_LISTEN_PORT=8000
RUN groupadd --system idp && useradd --system --gid idp --home-dir /app --shell /usr/sbin/nologin idp
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels idp && rm -rf /wheels
WORKDIR /app
COPY --chown=root:root alembic.ini ./
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root config/idp.example.toml ./config/
USER idp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"IDP_LISTEN_PORT\",\"8000\")}/health/live', timeout=4)" || exit 1
CMD ["idp", "serve"]
