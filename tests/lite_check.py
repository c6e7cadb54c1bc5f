"""Run by tests/test_lite.py in a fresh interpreter: `python lite_check.py MAIN_PY`.

Imports the main.py that `crm-addin excel lite` prints with WeasyPrint, smtplib, click and
pyOpenVBA blocked for everyone, and multiprocessing, subprocess, xlwings.server and xlwings.pro
blocked for the project's own modules (pandas itself imports subprocess at start-up; Pyodide has
the module but cannot start processes). Then calls every CRM_ function of main.py with
Office.js-shaped ranges (date cells as serial numbers, errors as {"type": "Error", ...} dicts,
blanks as null, whole numbers as ints) and the classic door with the same cells as classic
xlwings hands them over, and prints one JSON line: the names found and any differences.
"""

import builtins
import datetime as dt
import importlib.abc
import json
import sys
import types

EVERYONE = {"weasyprint", "smtplib", "click", "pyopenvba"}
FROM_PROJECT = EVERYONE | {"multiprocessing", "subprocess", "xlwings.server", "xlwings.pro"}


class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in EVERYONE:
            raise ImportError(f"{name} is blocked: not available in the browser")
        return None


_import = builtins.__import__


def guarded(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__") or ""
    if level == 0 and importer.split(".")[0] in {"addin", "crm_lite_main"}:
        wanted = {name, name.split(".")[0]} | {f"{name}.{f}" for f in fromlist or ()}
        if wanted & FROM_PROJECT:
            raise ImportError(f"{importer} imports {name}: not available in the browser")
    return _import(name, globals, locals, fromlist, level)


for gone in [m for m in sys.modules if m.split(".")[0] in EVERYONE]:
    del sys.modules[gone]
sys.meta_path.insert(0, Blocked())
builtins.__import__ = guarded

EPOCH = dt.datetime(1899, 12, 30)


def officejs(cell):
    """A classic xlwings cell value as Office.js hands it to Lite raw."""
    if isinstance(cell, list):
        return [officejs(c) for c in cell]
    if isinstance(cell, dt.datetime):
        return (cell - EPOCH) / dt.timedelta(days=1)
    if isinstance(cell, str) and cell.startswith("#"):
        return {"type": "Error", "basicType": "Error", "basicValue": cell,
                "errorType": "NotAvailable" if cell == "#N/A" else "Value"}
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return cell


def col(*values):
    return [[v] for v in values]


D = dt.datetime
REVENUE = col("revenue", 1200.0, 300.0, None, 80.0, 45.0, 2000.0, 300.0)
IDS = col("customer_id", "C1", "C1", "C2", "C3", "C1", "C2", "C4", "C3", "C1", "C2")
DATES = col("date", D(2026, 1, 5), D(2026, 2, 9), D(2026, 2, 11), D(2026, 3, 1),
            D(2026, 4, 20), D(2026, 6, 30), D(2026, 7, 2), D(2026, 8, 8), D(2026, 9, 9),
            D(2026, 10, 1))
AMOUNTS = col("amount", 100.0, 250.0, 80.0, 40.0, 120.0, 95.5, 300.0, 60.0, 110.0, 70.0)
def _log(n=70, seed=3):
    """Customers buying at gamma-distributed rates with exponential lifetimes over 2023-2025
    (tests/test_churn_forecast.py's synthetic log, as its doors test uses it)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start, end = D(2023, 1, 1), D(2025, 12, 31)
    span = (end - start).days
    rows = []
    for i in range(n):
        t = start + dt.timedelta(days=int(rng.integers(0, span * 0.7)))
        first, rate, life = t, rng.gamma(2, 1 / 60), rng.exponential(500)
        while t <= end and (t - first).days <= life:
            rows.append((f"C{i:04d}", t, float(rng.gamma(3, 100))))
            t += dt.timedelta(days=int(rng.exponential(1 / rate)) + 1)
    return rows


LOG = _log()
BIG_IDS = col("customer_id", *(r[0] for r in LOG))
BIG_DATES = col("date", *(r[1] for r in LOG))
BIG_AMOUNTS = col("amount", *(r[2] for r in LOG))
ANSWERS = col("nps", 10.0, 9.0, "#N/A", None, 7.0, 3.0, "N/A", 10.0, 6.0, 8.0)
CSAT = col("csat", 5.0, 4.0, 3.0, None, "#N/A", 2.0, 5.0, 4.0)
ITEMS = [["q1", "q2", "q3"], [4.0, 5.0, 4.0], [3.0, 3.0, 2.0], [5.0, 4.0, 5.0],
         [2.0, 2.0, 3.0], [4.0, None, 4.0], [1.0, 2.0, 1.0]]
EXPECTED = [["q1", "q2", "q3"], [5.0, 5.0, 4.0], [4.0, 4.0, 4.0], [5.0, 5.0, 5.0],
            [3.0, 3.0, 3.0], [4.0, 4.0, 5.0], [2.0, 3.0, 2.0]]
SCORECARD = [["perspective", "objective", "kpi", "weight", "target", "actual", "polarity"],
             ["financial", "Grow revenue", "Revenue", 0.5, 100.0, 90.0, "higher"],
             ["financial", "Grow revenue", "Margin", 0.5, 30.0, 33.0, "higher"],
             ["customer", "Keep customers", "Churn", 1.0, 5.0, 7.0, "lower"],
             ["internal process", "Answer fast", "Hours to answer", 1.0, 24.0, "#N/A",
              "lower"],
             ["learning and growth", "Train staff", "Hours trained", 1.0, 40.0, 44.0, "higher"]]
MATRIX = [[None, "price", "service", "quality"], ["price", 1.0, 3.0, 0.5],
          ["service", 1 / 3, 1.0, 0.25], ["quality", 2.0, 4.0, 1.0]]

SAMPLES = {
    "CRM_ABC": (REVENUE,),
    "CRM_PYRAMID": (REVENUE, "0.2,0.3,0.5", "Gold,Silver,Bronze"),
    "CRM_PARETO": (REVENUE,),
    "CRM_RFM": (IDS, DATES, AMOUNTS, [[D(2026, 10, 31)]]),
    "CRM_CLV": (IDS, DATES, AMOUNTS, 12.0),
    "CRM_CLV_MARGIN": (col(100.0, 250.0), [[0.8]], [[0.1]]),
    "CRM_RETENTION": (IDS, DATES, AMOUNTS, [[D(2026, 10, 31)]]),
    "CRM_CHURN": (IDS, DATES, AMOUNTS, 3.0, "either", [[D(2026, 10, 31)]]),
    "CRM_FORECAST": (BIG_IDS, BIG_DATES, BIG_AMOUNTS, 12.0, [[D(2025, 12, 31)]]),
    "CRM_NPS": (ANSWERS,),
    "CRM_NPS_MOE": (ANSWERS, [[True]]),
    "CRM_CSAT": (CSAT, 5.0, 2.0),
    "CRM_KANO": (col(1.0, 2.0, 3.0, "#N/A", 1.0, None), col(5.0, 5.0, 3.0, 4.0, 1.0, 4.0)),
    "CRM_ALPHA": (ITEMS, [[True]]),
    "CRM_GAP": (ITEMS, EXPECTED, 1.0, 5.0),
    "CRM_KPI_PROGRESS": (col(90.0, 33.0, 7.0, None), col(100.0, 30.0, 5.0, 24.0), None,
                         col("higher", "higher", "lower", "lower")),
    "CRM_KPI_STATUS": (col(1.2, 0.85, 0.5, None, "#N/A"),),
    "CRM_AHP": (MATRIX,),
    "CRM_BSC": (SCORECARD,),
}


SCRIPT_MODULES = ("addin.excel.macros", "addin.excel.book", "addin.jobs", "addin.jobs.validate",
                  "addin.jobs.tier", "addin.jobs.survey", "addin.jobs.scorecard")


def main(path):
    import addin.functions as classic

    main = types.ModuleType("crm_lite_main")
    main.__file__ = path
    with open(path, encoding="utf-8") as f:
        exec(compile(f.read(), path, "exec"), main.__dict__)
    from addin.functions.ranges import FUNCTIONS

    found = sorted(n for n in vars(main) if n.startswith("CRM_"))
    scripts = sorted(n for n in vars(main) if n.startswith("crm_"))
    differences, errors = {}, {}
    for name in found:
        if name not in SAMPLES:
            continue
        args = SAMPLES[name]
        want = getattr(classic, name)(*args)
        got = getattr(main, name)(*(officejs(a) for a in args))
        if got != want:
            differences[name] = {"classic": repr(want)[:400], "lite": repr(got)[:400]}
        if isinstance(want, str) and want.startswith("#CRM!"):
            errors[name] = want
    # what the scripts import when a button runs (the macros import their jobs lazily)
    import importlib

    script_modules = {}
    for module in SCRIPT_MODULES:
        try:
            importlib.import_module(module)
            script_modules[module] = "ok"
        except ImportError as exc:
            script_modules[module] = str(exc)
    blocked = sorted(m for m in sys.modules if m.split(".")[0] in EVERYONE)
    print(json.dumps({"functions": found, "declared": sorted(FUNCTIONS), "scripts": scripts,
                      "samples": sorted(SAMPLES), "differences": differences,
                      "errors": errors, "loaded_blocked": blocked,
                      "script_modules": script_modules}))


if __name__ == "__main__":
    main(sys.argv[1])
