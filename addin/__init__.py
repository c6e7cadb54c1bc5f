"""CRM reporting add-in for Excel.

The pure routines live in submodules (``addin.workbook`` for the workbook contract, and the
tiering, survey and scorecard modules as they land); the doors (CLI, Excel functions, ribbon
macros) are thin layers over them.
"""

__version__ = "0.1.0"
