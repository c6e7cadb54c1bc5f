"""Print requirement pins for the core packages that Pyodide builds itself, at the versions of
the Pyodide release xlwings Lite needs, read from the pyodide-lock.json inside the npm package
``pyodide`` (fetched with ``npm pack``; the wheels themselves come from a CDN). The first line
says which release and Python it was."""

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "patsy", "pyarrow", "lxml",
            "python-calamine", "python-dateutil")


def main() -> None:
    from addin.excel.lite import PYODIDE

    with tempfile.TemporaryDirectory(prefix="pyodide-lock-") as tmp:
        subprocess.run(["npm", "pack", "--silent", f"pyodide@{PYODIDE}"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL, timeout=300)
        (tgz,) = Path(tmp).glob("pyodide-*.tgz")
        with tarfile.open(tgz) as t:
            lock = json.load(t.extractfile("package/pyodide-lock.json"))
    packages = lock["packages"]
    print(f"# Pyodide {PYODIDE} (Python {lock['info']['python']})")
    for name in PACKAGES:
        print(f"{name}=={packages[name]['version']}")


if __name__ == "__main__":
    main()
