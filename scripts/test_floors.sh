#!/usr/bin/env bash
# Two jobs on other dependency versions than .venv's newest, each in its own venv:
#   1. lowest-direct (.venv-lowest): every direct dependency at the lowest version
#      pyproject.toml allows (uv's --resolution lowest-direct), then the routine, workbook and
#      function tests: every floor in pyproject.toml is one they pass on.
#   2. Pyodide (.venv-pyodide): numpy, pandas, scipy, pyarrow, lxml and python-calamine at the
#      versions of the Pyodide release xlwings Lite needs (read from the pyodide-lock.json of the
#      npm package pyodide), the rest of the core, then tests/test_lite.py: the main.py that
#      `crm-addin excel lite` prints imports there with the browser's blocks, and every CRM_
#      function answers Office.js-shaped cells as the classic door does.
# Run by .ci/run after scripts/test.sh (which makes .venv, with uv in it).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/uv ] || bash scripts/setup.sh test >/dev/null || exit 1
uv=.venv/bin/uv
base=$(.venv/bin/python -c 'import sys; print(sys._base_executable)')
status=0

echo "== lowest direct versions (.venv-lowest)"
$uv venv --quiet --allow-existing --python "$base" .venv-lowest || exit 1
$uv pip install --quiet --python .venv-lowest/bin/python --resolution lowest-direct \
  -e ".[all,test]" || exit 1
$uv pip list --python .venv-lowest/bin/python 2>/dev/null \
  | grep -Ei '^(pandas|numpy|scipy|pyarrow|openpyxl|python-calamine|lxml|babel|jinja2|weasyprint|matplotlib|click|duckdb) '
.venv-lowest/bin/python -m pytest -q -p no:cacheprovider -m "not slow and not libreoffice" \
  tests/test_coerce.py tests/test_workbook_read.py tests/test_writer.py tests/test_package.py \
  tests/test_duplicates.py tests/test_bad_input.py tests/test_dataset.py tests/test_tiering.py \
  tests/test_tiering_customers.py tests/test_tiering_models.py tests/test_tiering_functions.py \
  tests/test_surveys_analysis.py tests/test_surveys_drivers.py tests/test_surveys_functions.py \
  tests/test_surveys_gaps.py tests/test_surveys_indicators.py tests/test_surveys_kano.py \
  tests/test_surveys_scores.py tests/test_scorecard.py tests/test_scorecard_ahp.py \
  tests/test_scorecard_sheet.py tests/test_ranges.py tests/test_i18n.py tests/test_lite.py \
  || status=1

echo "== the Pyodide release of xlwings Lite (.venv-pyodide)"
pins=$(.venv/bin/python scripts/pyodide_pins.py) || exit 1
echo "$pins" | head -1
# Pyodide runs Python 3.14; its scipy needs >= 3.12: the newest CPython here stands in.
python=""
for candidate in "$HOME"/.pyenv/versions/3.14*/bin/python3 "$HOME"/.pyenv/versions/3.13*/bin/python3 \
                 "$HOME"/.pyenv/versions/3.12*/bin/python3 python3.14 python3.13 python3.12; do
  # (pyenv's shims answer `command -v` for versions that are not active: run each to be sure)
  if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
    python=$candidate; break
  fi
done
if [ -z "$python" ]; then
  echo "test_floors: no Python >= 3.12 on this machine for the Pyodide-matched venv" >&2
  exit 1
fi
$uv venv --quiet --allow-existing --python "$python" .venv-pyodide || exit 1
echo "$pins" | tail -n +2 > .venv-pyodide/pyodide-pins.txt
# The core at Pyodide's versions, then xlwings (which Lite brings) and the test tools.
$uv pip install --quiet --python .venv-pyodide/bin/python -r .venv-pyodide/pyodide-pins.txt \
  -e . "xlwings==0.37.8" "pytest>=8" "hypothesis>=6.100" "click>=8.1" "jinja2>=3.1" || exit 1
$uv pip list --python .venv-pyodide/bin/python 2>/dev/null \
  | grep -Ei '^(pandas|numpy|scipy|pyarrow|python-calamine|lxml) '
# click for the CLI test of `excel lite`, hypothesis for conftest; weasyprint and pyopenvba
# are not installed at all.
.venv-pyodide/bin/python -m pytest -q -p no:cacheprovider tests/test_lite.py || status=1
exit "$status"
