"""The workbook contract's vocabulary, shared by the routines and the workbook I/O.

``schema`` names every sheet, column, alias and type the add-in understands;
``coerce`` turns a cell as the user typed it into that type (or says why not).
Routines (tiering, surveys, scorecard, reports) import from here, never from
``addin.workbook``, so the pure computations do not depend on how a workbook is
read or written.
"""
