#!/usr/bin/env bash
# Install what is needed, then run the whole test suite (unit + broker + model + end to end).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
.venv/bin/python -m pytest -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "test: pytest collected no tests; that is a failure, not a pass" >&2
    exit 1
fi
exit "$rc"
