#!/usr/bin/env bash
# Install what is needed, lint, then run the whole test suite (unit + broker + model + end to end).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
# Lint first (seconds), but run the tests whatever it says: both verdicts are worth having.
.venv/bin/ruff check --no-cache spillover models agents streams scripts tests
lint=$?
.venv/bin/python -m pytest -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "test: pytest collected no tests; that is a failure, not a pass" >&2
    exit 1
fi
if [ "$lint" -ne 0 ] && [ "$rc" -eq 0 ]; then
    echo "test: the tests passed but ruff found problems (above)" >&2
    exit 1
fi
exit "$rc"
