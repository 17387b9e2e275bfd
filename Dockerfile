# The trainyard image: Dagster user code, webserver/daemon, run and step pods all use it.
#
#   CPU (default):  docker build -t REGISTRY/trainyard:cpu .
#   CUDA variant:   docker build -t REGISTRY/trainyard:cuda \
#                     --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 \
#                     --build-arg TORCH_SPEC="torch==2.13.0" .
#     (same code; torch from the CUDA wheel index. GPU nodes need the NVIDIA device plugin, which
#     exposes the `nvidia.com/gpu` resource GPU steps request — see docs/scale-out.md.)
#
# Then point TRAINYARD_K8S_IMAGE / TRAINYARD_K8S_GPU_IMAGE (and deploy/helm/values.yaml) at the tags.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG TORCH_SPEC="torch==2.13.0"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    TRAINYARD_HOME=/mnt/trainyard \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /opt/trainyard

# Debian packages the pipelines need at run time (the project's own list; not the test tools).
COPY scripts/install-system-deps.sh scripts/install-system-deps.sh
RUN bash scripts/install-system-deps.sh runtime && rm -rf /var/lib/apt/lists/*

# torch first from the chosen wheel index (CPU or CUDA), then the project and its pinned deps
# (dagster + dagster-k8s/-postgres/-celery, duckdb 1.5.5 with the DuckLake/postgres/httpfs
# extension packages: no extension download at run time).
RUN pip install --index-url "${TORCH_INDEX}" "${TORCH_SPEC}"
COPY pyproject.toml README.md ./
COPY pipelines pipelines
COPY assets assets
COPY ops ops
COPY kernels kernels
COPY warehouse warehouse
COPY benchmarks benchmarks
COPY dagster.yaml workspace.yaml ./
COPY deploy deploy
RUN pip install -e . && mkdir -p "$DAGSTER_HOME" "$TRAINYARD_HOME" \
    && cp deploy/k8s/instance.yaml "$DAGSTER_HOME/dagster.yaml" \
    && python -c "import pipelines.definitions, warehouse.ducklake as d; d._extensions()"

# The Helm chart runs `dagster api grpc -m pipelines.definitions` (user-code deployment) and
# `dagster api execute_run/execute_step` in run/step pods; this default is for a local try-out.
EXPOSE 3030
CMD ["dagster", "api", "grpc", "-m", "pipelines.definitions", "-h", "0.0.0.0", "-p", "3030"]
