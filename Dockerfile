# trackyard images: `server` (the tracking server) and `workspace` (JupyterLab with the
# examples). Both run as the unprivileged user `trackyard`; see docker-compose.yml.
FROM python:3.12-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid, so files in named volumes keep one owner across image rebuilds.
RUN groupadd --system --gid 10001 trackyard \
    && useradd --system --uid 10001 --gid trackyard --create-home \
        --home-dir /home/trackyard --shell /usr/sbin/nologin trackyard

WORKDIR /opt/trackyard
COPY pyproject.toml README.md ./
COPY trackyard ./trackyard


FROM base AS server

# DL3013 (pin versions) does not fit installing this project: its pyproject holds the ranges.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[postgres,sftp,s3]"

USER 10001:10001
WORKDIR /home/trackyard
# Created here so that a named volume mounted on it starts out owned by trackyard.
RUN mkdir -p /home/trackyard/trackyard-data /home/trackyard/tokens

EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4)"]
CMD ["trackyard", "server", "--host", "0.0.0.0", "--port", "5000"]


FROM base AS workspace

# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[workspace]"

USER 10001:10001
WORKDIR /home/trackyard
RUN mkdir -p /home/trackyard/notebooks /home/trackyard/tokens

EXPOSE 8888
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8888/api', timeout=4)"]
CMD ["trackyard", "up", "--tracking-uri", "http://trackyard:5000", "--host", "0.0.0.0", \
     "--jupyter-port", "8888", "--notebooks-dir", "/home/trackyard/notebooks"]
