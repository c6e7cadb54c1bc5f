"""Where the add-in finds the files it ships beside its code: the report templates
(``report_templates/``), the Excel add-in (``workbooks/CRM.xlam``) and the demo workbook
(``workbooks/demo_crm.xlsx``).

The source tree keeps them at the top level (designers edit the templates there, CI checks the
add-in and the demo workbook against their builders); the wheel carries the same files inside
the package under ``addin/_data/`` (``force-include`` in ``pyproject.toml``), so an installed
wheel renders reports and installs the add-in from any folder. :func:`data_path` is the one
place that knows both layouts.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
PACKAGED = _PACKAGE / "_data"  # in an installed wheel
CHECKOUT = _PACKAGE.parent  # the repository root, in a clone (or an editable install)


def data_path(*parts: str) -> Path:
    """The path of a shipped file or folder, given relative to the repository root
    (``data_path("workbooks", "CRM.xlam")``): the copy inside the installed package when the
    package carries one, else the checkout's. The path may not exist (a clone where the file
    was deleted); callers that can rebuild it check."""
    packaged = PACKAGED.joinpath(*parts)
    if packaged.exists():
        return packaged
    return CHECKOUT.joinpath(*parts)


__all__ = ["data_path", "PACKAGED", "CHECKOUT"]
