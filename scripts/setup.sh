#!/usr/bin/env bash
# Install everything the add-in needs on a Debian (or Ubuntu) machine with Python >= 3.11:
#   * system packages: Pango and harfbuzz-subset for WeasyPrint (without libharfbuzz-subset0,
#     font subsetting falls back to fontTools and CJK reports render ~20x slower), Noto CJK and
#     DejaVu fonts, LibreOffice Calc (headless) to check the workbooks we write, poppler-utils
#     and qpdf to check the PDFs we write;
#   * a virtual environment in .venv with the package and all its extras (and, with "test", its test
#     dependencies).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
apt_packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig
  fonts-noto-cjk fonts-dejavu-core
  libreoffice-calc-nogui
  poppler-utils qpdf
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "setup: need root (or sudo) to run: $*" >&2; return 1
  fi
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "$@"
}

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    as_root apt-get update -q
    apt_install "${missing[@]}"
    fc-cache -f >/dev/null 2>&1 || true
  fi
else
  echo "setup: no apt-get here; install these (or their equivalents) yourself:" \
       "${apt_packages[*]}" >&2
fi

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: $python is not Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    # Debian ships venv's ensurepip separately.
    rm -rf .venv
    apt_install python3-venv
    "$python" -m venv .venv
  fi
fi
# Everything: the core and every extra (reports, mail, excel, cli); the core alone is what
# xlwings Lite installs in the browser.
spec=".[all]"
[ "$extras" = "test" ] && spec=".[all,test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
