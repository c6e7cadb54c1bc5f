"""Shared by the survey tests: the demo workbook, read once per test run."""

from __future__ import annotations

import functools

from addin.demo import demo_workbook_path
from addin.workbook import CRMWorkbook, load_crm_workbook


@functools.cache
def demo_workbook() -> CRMWorkbook:
    """The demo workbook as ``load_crm_workbook`` reads it (do not modify its frames)."""
    return load_crm_workbook(demo_workbook_path())
