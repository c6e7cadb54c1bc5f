#!/usr/bin/env bash
# Install everything, then run the monthly job on the embedded demo workbook into ./out
# (or the folder given as the first argument).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/crm-addin demo --out "${1:-./out}"
