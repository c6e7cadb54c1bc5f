"""Regenerate the embedded demo workbook.

    python workbooks/make_demo.py [OUT]

writes ``workbooks/demo_crm.xlsx`` (or OUT) from ``addin.demo.build_demo_workbook`` with the
fixed seed ``addin.demo.DEMO_SEED``. The same code and library versions give the same file,
byte for byte; commit the regenerated file together with any change to ``addin/demo/``.
"""

from __future__ import annotations

import hashlib
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from addin.demo import DEMO_SEED, build_demo_workbook  # noqa: E402

DEFAULT_OUT = HERE / "demo_crm.xlsx"


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    out = pathlib.Path(argv[0]) if argv else DEFAULT_OUT
    start = time.perf_counter()
    path = build_demo_workbook(out, seed=DEMO_SEED)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"wrote {path} ({path.stat().st_size:,} bytes, seed {DEMO_SEED}, "
          f"{time.perf_counter() - start:.1f} s)\nsha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
