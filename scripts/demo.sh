#!/usr/bin/env bash
# Install what is needed, then run the demo on the embedded broker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/spillover demo "$@"
