# Spillover worker / connector image. CPU build; see README "Running on Kubernetes".
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
# CPU wheels of torch; PyPI's Linux wheels bundle CUDA and are several GB larger.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

RUN useradd --create-home --uid 10001 spillover \
    && mkdir -p /var/lib/spillover && chown spillover /var/lib/spillover
WORKDIR /app
# Worker (Faust) and connector state; /app is not writable by the spillover user.
ENV SPILLOVER_APP_DATA_DIR=/var/lib/spillover

# torch first and pinned, before anything that depends on it.
RUN pip install --index-url "${TORCH_INDEX}" "torch==${TORCH_VERSION}"

COPY pyproject.toml README.md ./
COPY spillover ./spillover
COPY streams ./streams
COPY models ./models
COPY agents ./agents
RUN pip install . \
    # fail the build, not the first pod, if the shipped model cannot load offline
    && python -c "from spillover.models.pipeline import SentimentModel; from spillover.settings import ModelSettings; SentimentModel.load(ModelSettings())"

USER spillover
EXPOSE 9100
ENTRYPOINT ["spillover"]
CMD ["worker", "--metrics-port", "9100"]
