#!/usr/bin/env bash
# Create .venv and install Spillover with what the tests and the training script need.
# torch goes first, pinned: asking for plain `torch` (directly or through transformers)
# pulls a multi-GB CUDA build. Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
    echo "setup: installing torch==$TORCH_VERSION (CPU) first" >&2
    "${PIP[@]}" install "torch==$TORCH_VERSION"
fi
"${PIP[@]}" install -e ".[test,train]"
echo "setup: ready ($("$VENV/bin/spillover" --help >/dev/null && echo spillover CLI ok))" >&2
