"""Every page of the month's PDFs as PNG images, so a reviewer can look at each one.

    .venv/bin/crm-addin monthly workbooks/demo_crm.xlsx --month 2026-10 --out out/r --dry-run out/e
    .venv/bin/python scripts/pack_pages.py out/r            # -> out/r/pages/<pdf name>/page-01.png

Runs poppler's ``pdftoppm`` on each PDF of the folder (default 70 dpi: a whole A4 page fits a
screen; ``--dpi 150`` to read small print), one sub-folder per PDF.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path


def pages(folder: Path, dpi: int = 70, first: int | None = None) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm is missing: apt-get install poppler-utils")
    out: list[Path] = []
    for pdf in sorted(folder.glob("*.pdf")):
        target = folder / "pages" / pdf.stem
        target.mkdir(parents=True, exist_ok=True)
        cmd = ["pdftoppm", "-png", "-r", str(dpi)]
        if first:
            cmd += ["-l", str(first)]
        subprocess.run([*cmd, str(pdf), str(target / "page")], check=True)
        out.extend(sorted(target.glob("page-*.png")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a reports folder (crm-addin report --out)")
    parser.add_argument("--dpi", type=int, default=70)
    parser.add_argument("--first", type=int, help="only the first N pages of each PDF")
    args = parser.parse_args()
    made = pages(args.folder, args.dpi, args.first)
    print(f"{len(made)} pages in {args.folder / 'pages'}")


if __name__ == "__main__":
    main()
