# syntax=docker/dockerfile:1
#
# The official Apache Airflow 3 image with airflow-provider-capella installed from this checkout.
# docker-compose.yaml builds it (`docker compose build`); on its own:
#
#   docker build -t airflow-provider-capella:local .
#   docker build --build-arg AIRFLOW_VERSION=3.1.0 --build-arg PYTHON_VERSION=3.10 -t capella:af31 .
#
# Stage "provider-wheel" builds the wheels of the provider and of the emulator (compose runs the emulator
# from this image) with the uv that ships in the Airflow image. The final stage installs them into a
# clean copy of the same image, with Airflow
# pinned to the image's own version so the install can never upgrade or downgrade it. Tests in
# tests/compose/ run these RUN lines verbatim (building the wheel and installing it beside Airflow).

ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.12
ARG AIRFLOW_IMAGE=apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

FROM ${AIRFLOW_IMAGE} AS provider-wheel
ARG CAPELLA_SRC=/tmp/capella-src
ARG CAPELLA_DIST=/tmp/capella-dist
# Only what the wheel is made of; .dockerignore keeps everything else out of the build context.
COPY --chown=airflow:0 pyproject.toml README.md ${CAPELLA_SRC}/
COPY --chown=airflow:0 airflow_provider_capella/ ${CAPELLA_SRC}/airflow_provider_capella/
COPY --chown=airflow:0 capella-emulator/ ${CAPELLA_SRC}/capella-emulator/
RUN uv build --wheel --out-dir "${CAPELLA_DIST}" "${CAPELLA_SRC}" && \
    uv build --wheel --out-dir "${CAPELLA_DIST}" "${CAPELLA_SRC}/capella-emulator"

FROM ${AIRFLOW_IMAGE}
ARG CAPELLA_DIST=/tmp/capella-dist
COPY --from=provider-wheel ${CAPELLA_DIST}/ ${CAPELLA_DIST}/
# The [amazon] extra brings S3 through Airflow's aws_default connection. Build on the full image (the
# default), not a slim one: the stack's CeleryExecutor and its login page come from the celery and fab
# providers the full image bundles, at the versions its constraints pin.
RUN uv pip install --no-cache "apache-airflow==${AIRFLOW_VERSION}" \
        "$(ls "${CAPELLA_DIST}"/airflow_provider_capella-*.whl)[amazon]" \
        "$(ls "${CAPELLA_DIST}"/capella_emulator-*.whl)"
