# The OpsRhythm image: one build for the worker, the web app and the one-shot commands
# (docker-compose.yml picks the command). Secrets come from the environment at run time only.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY opsrhythm ./opsrhythm
COPY workflows ./workflows
COPY activities ./activities
COPY templates ./templates
# The example config is the default; mount your own and set OPSRHYTHM_CONFIG to use it.
COPY examples ./examples
COPY starter.py worker.py ./
RUN pip install '.[postgres]'

RUN useradd --create-home --uid 10001 opsrhythm \
    && mkdir -p /data/outbox /data/archive && chown -R opsrhythm /data
USER opsrhythm
ENV OPSRHYTHM_CONFIG=/app/examples/acme/opsrhythm.yaml \
    OPSRHYTHM_OUTBOX=/data/outbox \
    OPSRHYTHM_ARCHIVE=/data/archive

ENTRYPOINT ["opsrhythm"]
CMD ["--help"]
