"""The workbook contract: read CRM sheets into validated DataFrames, write result sheets.

Public API::

    read_sheet(path, sheet) -> DataFrame          # one sheet, validated and typed
    load_crm_workbook(path) -> CRMWorkbook        # every contract sheet present
    load_crm_workbook_from_values({sheet: rows}, path=...) -> CRMWorkbook  # a live workbook
    find_duplicate_customers(customers) -> DataFrame
    write_result_sheets(source, dest, {name: frame})

The contract itself (sheets, columns, aliases, types) is in :mod:`addin.contract.schema`.
"""

from addin.workbook.duplicates import find_duplicate_customers
from addin.workbook.reader import (
    CRMWorkbook,
    load_crm_workbook,
    load_crm_workbook_from_values,
    read_sheet,
    read_sheet_checked,
    settings_dict,
)
from addin.workbook.results import Chart, ResultTable, Rule
from addin.workbook.saving import default_results_path, earlier_sheets, write_result_sheets

__all__ = [
    "CRMWorkbook",
    "find_duplicate_customers",
    "load_crm_workbook",
    "load_crm_workbook_from_values",
    "read_sheet",
    "read_sheet_checked",
    "settings_dict",
    "Chart",
    "ResultTable",
    "Rule",
    "default_results_path",
    "earlier_sheets",
    "write_result_sheets",
]
