# eventsite in a container: build a site from an export, or preview it.
#
#   docker build -t eventsite .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/data" eventsite   # ./export -> ./site
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/data" eventsite build event.zip -o site
#   docker compose up        # preview server on http://localhost:8000 (see compose.yaml)
#
# The default command builds /data/export into /data/site. The preview server binds to
# 127.0.0.1 unless `--host 0.0.0.0` is given, as compose.yaml does for `-p 8000:8000`.

# --- stage 1: build the wheel (build tools never reach the final image) ------------------------
FROM python:3.12-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md CHANGELOG.md ./
COPY eventsite ./eventsite
COPY themes ./themes
COPY sample_exports ./sample_exports
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# --- stage 2: the runtime image ----------------------------------------------------------------
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-cache-dir /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels \
    && groupadd --gid 10001 eventsite \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin eventsite \
    && mkdir -p /data \
    && chown eventsite:eventsite /data
USER 10001:10001
WORKDIR /data
EXPOSE 8000
ENTRYPOINT ["eventsite"]
CMD ["build", "export", "-o", "site"]
