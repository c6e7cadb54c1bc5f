#!/usr/bin/env bash
# Install everything (with the test dependencies), then run the whole test suite.
# Extra arguments go to pytest. A run that collects no tests fails: pytest's exit code 5
# ("no tests ran") must not read as green.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test || exit 1
# -n auto: one worker per core (pytest-xdist); a test file stays on one worker (its module
# fixtures, such as a demo workbook built once, are built once).
.venv/bin/python -m pytest -n auto --dist loadfile "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests; failing on purpose" >&2
  exit 1
fi
exit "$status"
