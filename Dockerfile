# mxlims-store as a container: the wheel built in a first stage, installed alone in the second,
# run as an unprivileged user, data in /data, healthchecked on /health. Nothing is downloaded
# when the container starts (an isolated beamline network has no package index).
#   docker build -t mxlims-store .
#   docker run -p 127.0.0.1:8000:8000 -v mxlims-data:/data mxlims-store

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mxlims_store ./mxlims_store
COPY api ./api
# mxlims_store/api is a symlink to ../api: the web layer installs inside the one package
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 mxlims && mkdir /data && chown mxlims:mxlims /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels mxlims-store && rm -rf /wheels
USER mxlims
ENV MXLIMS_HOST=0.0.0.0 \
    MXLIMS_PORT=8000 \
    MXLIMS_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["mxlims-store", "serve"]
