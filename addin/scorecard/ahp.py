"""Analytic hierarchy process: weights from pairwise comparisons, and their consistency.

Saaty (1980), *The Analytic Hierarchy Process*, McGraw-Hill; Saaty (2008), "Decision making
with the analytic hierarchy process", *Int. J. Services Sciences* 1(1), 83-98.

* A judgement matrix ``A`` is square, positive, 1 on the diagonal and reciprocal
  (``a_ji = 1 / a_ij``): ``a_ij`` says how much more important item ``i`` is than ``j`` on
  Saaty's 1-9 scale.
* Weights: the principal right eigenvector of ``A``, normalised to sum 1 (``eigenvector``), or
  the normalised geometric means of the rows (``geometric``, Crawford & Williams 1985).
* ``lambda_max``: the principal eigenvalue (for ``geometric``, the mean of ``(A w)_i / w_i``).
* Consistency index ``CI = (lambda_max - n) / (n - 1)``; consistency ratio ``CR = CI / RI(n)``
  with the random index ``RI`` of one of :data:`RANDOM_INDEX_TABLES` (Saaty 1980 by default);
  judgements are acceptably consistent when ``CR < 0.10`` (Saaty 1980). For ``n <= 2`` every
  reciprocal matrix is consistent (CI = CR = 0).
* For an inconsistent matrix, :attr:`AHPResult.worst_judgement` names the judgement whose
  change lowers CR the most, with the value to change it to and CR after the change: the one to
  discuss with the person who judged. Method (exhaustive single-judgement search): each
  judgement ``a_ij`` above the diagonal in turn is set to the value the weights imply
  (``w_i / w_j``, Saaty 2003, EJOR 145, 85-91) and to each of the 17 values of Saaty's scale
  (1/9 .. 9), with ``a_ji = 1 / a_ij``; CR is recomputed each time and the (judgement, value)
  with the lowest CR wins (ties: the earlier judgement, then ``w_i / w_j``). The scale values
  matter when a judgement was entered the wrong way round (8 typed as 1/8): the weights are then
  distorted by that very error, so ``w_i / w_j`` still points the wrong way and leaves the
  matrix inconsistent, while the search finds 8. At most 105 x 18 eigenproblems of order 15.
  ``implied`` keeps ``w_i / w_j`` for reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from addin.errors import InputError

# Random consistency index RI(n), n = 1..15: the mean CI of reciprocal matrices filled at random
# from Saaty's 1/9..9 scale. The published tables differ in the second decimal, because each
# came from a different simulation, so which one is used is a documented choice (the Settings
# key ``ahp_random_index``; ``ri_table`` in code):
#
# * "saaty1980", the default: Saaty (1980), The Analytic Hierarchy Process, McGraw-Hill
#   (n <= 10 from 500 random matrices; n = 11..15 from a smaller sample, hence RI(12) = 1.48
#   below RI(11) = 1.51). Saaty's papers of the 1980s-90s (the house example of Saaty 1990,
#   EJOR 48, 9-26: CR 0.169), most textbooks and the Chinese AHP/BSC literature use it, so a
#   CR published there is reproduced with it.
# * "saaty2005": Saaty (2005), Theory and Applications of the Analytic Network Process, RWS
#   Publications, p. 31: later, larger simulations; it rises with n throughout.
#
# For n = 7 the two give CR = CI / 1.32 and CI / 1.35: the verdict (CR < 0.10) changes only for
# matrices within a few thousandths of the threshold.
RANDOM_INDEX_TABLES: dict[str, tuple[float, ...]] = {
    "saaty1980": (0.00, 0.00, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                  1.51, 1.48, 1.56, 1.57, 1.59),
    "saaty2005": (0.00, 0.00, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49,
                  1.52, 1.54, 1.56, 1.58, 1.59),
}
DEFAULT_RANDOM_INDEX = "saaty1980"
RANDOM_INDEX: tuple[float, ...] = RANDOM_INDEX_TABLES[DEFAULT_RANDOM_INDEX]
CONSISTENT_BELOW = 0.10
RECIPROCAL_TOLERANCE = 0.02  # 1/3 typed as 0.33 is reciprocal enough; 0.3 is not


RITable = str | tuple[float, ...]


@dataclass
class AHPResult:
    weights: pd.Series
    lambda_max: float
    ci: float
    cr: float
    consistent: bool
    method: str = "eigenvector"
    worst_judgement: dict[str, Any] | None = field(default=None)
    random_index: float = 0.0  # RI(n) that CR was divided by (0 for n <= 2)
    ri_table: str = DEFAULT_RANDOM_INDEX  # the table's name, or "custom"


def _ri_values(table: RITable) -> tuple[str, tuple[float, ...]]:
    if isinstance(table, str):
        key = table.strip().lower().replace(" ", "").replace("_", "")
        if key not in RANDOM_INDEX_TABLES:
            raise InputError(f"random index table {table!r}: use one of "
                             f"{', '.join(RANDOM_INDEX_TABLES)}")
        return key, RANDOM_INDEX_TABLES[key]
    return "custom", tuple(float(v) for v in table)


def random_index(n: int, table: RITable = DEFAULT_RANDOM_INDEX) -> float:
    """RI(n) from a table of :data:`RANDOM_INDEX_TABLES` (by name) or a tuple for n = 1, 2..."""
    _, values = _ri_values(table)
    if not 1 <= n <= len(values):
        raise InputError(f"the random index is tabulated for 1 to {len(values)} items, not {n}")
    return values[n - 1]


def _labels(matrix: Any, n: int) -> list[str]:
    if isinstance(matrix, pd.DataFrame):
        return [str(c) for c in matrix.columns]
    return [str(i + 1) for i in range(n)]


def validate_matrix(matrix: Any, name: str = "matrix") -> tuple[np.ndarray, list[str]]:
    """The matrix as floats with its labels; an InputError naming the offending cell (row and
    column counted from 1, with the labels) when it is not a judgement matrix."""
    try:
        a = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: every cell must be a number ({exc})") from exc
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise InputError(f"{name}: a judgement matrix is square, got {a.shape}")
    n = a.shape[0]
    labels = _labels(matrix, n)

    def cell(i: int, j: int) -> str:
        return f"{name} row {i + 1}, column {j + 1} ({labels[i]} vs {labels[j]})"

    for i in range(n):
        for j in range(n):
            v = a[i, j]
            if not np.isfinite(v) or v <= 0:
                raise InputError(f"{cell(i, j)} is {v}: judgements are positive numbers "
                                 "(Saaty's scale 1/9 .. 9)")
    for i in range(n):
        if abs(a[i, i] - 1) > 1e-9:
            raise InputError(f"{cell(i, i)} is {a[i, i]:g}: an item compared with itself is 1")
    for i in range(n):
        for j in range(i + 1, n):
            if abs(a[i, j] * a[j, i] - 1) > RECIPROCAL_TOLERANCE:
                raise InputError(f"{cell(j, i)} is {a[j, i]:g}, but {labels[i]} vs {labels[j]} "
                                 f"is {a[i, j]:g}: expected its reciprocal {1 / a[i, j]:.4g}")
    return a, labels


def _weights(a: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    if method == "eigenvector":
        values, vectors = np.linalg.eig(a)
        k = int(np.argmax(values.real))
        w = np.abs(vectors[:, k].real)
        return w / w.sum(), float(values[k].real)
    if method == "geometric":
        w = np.exp(np.log(a).mean(axis=1))
        w = w / w.sum()
        return w, float(np.mean((a @ w) / w))
    raise InputError(f"method {method!r}: use 'eigenvector' or 'geometric'")


def _consistency(lambda_max: float, n: int, table: RITable) -> tuple[float, float]:
    if n <= 2:
        return 0.0, 0.0
    # lambda_max >= n for a positive reciprocal matrix (Saaty 1980); floating point can land a
    # consistent matrix at n - 1e-15, which would print as CR -0.000
    ci = max(lambda_max - n, 0.0) / (n - 1)
    return ci, ci / random_index(n, table)


def ahp_weights(matrix: Any, method: str = "eigenvector",
                ri_table: RITable = DEFAULT_RANDOM_INDEX,
                name: str = "matrix") -> AHPResult:
    """Weights, lambda_max, CI, CR and whether CR < 0.10 (see the module docstring).
    ``ri_table``: "saaty1980" (default), "saaty2005", or a tuple of RI for n = 1, 2, ...
    ``name`` heads the message of a matrix that is not a judgement matrix."""
    a, labels = validate_matrix(matrix, name)
    n = a.shape[0]
    table_name, table = _ri_values(ri_table)
    w, lam = _weights(a, method)
    ci, cr = _consistency(lam, n, table)
    result = AHPResult(pd.Series(w, index=labels, name="weight"), lam, ci, cr,
                       cr < CONSISTENT_BELOW, method, None,
                       random_index(n, table) if n > 2 else 0.0, table_name)
    if n > 2 and cr >= CONSISTENT_BELOW:
        scale = [1 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)]
        best = None
        for i in range(n):
            for j in range(i + 1, n):
                implied = float(w[i] / w[j])
                for value in (implied, *scale):
                    trial = a.copy()
                    trial[i, j], trial[j, i] = value, 1 / value
                    _, lam2 = _weights(trial, method)
                    cr2 = _consistency(lam2, n, table)[1]
                    if best is None or cr2 < best["cr_after"] - 1e-12:
                        best = {"row": labels[i], "column": labels[j],
                                "judgement": float(a[i, j]), "suggested": float(value),
                                "implied": implied, "cr_after": float(cr2)}
        result.worst_judgement = best
    return result


def ahp_hierarchy(perspective_matrix: Any, objective_matrices: dict[str, Any],
                  method: str = "eigenvector",
                  ri_table: RITable = DEFAULT_RANDOM_INDEX) -> pd.DataFrame:
    """Local and global weights of a two-level hierarchy: perspectives, then the objectives of
    each. ``global = perspective weight x local weight``; global weights sum to 1. One row per
    objective with the CR of both matrices it came from."""
    top = ahp_weights(perspective_matrix, method, ri_table, name="perspectives")
    missing = [p for p in top.weights.index if p not in objective_matrices]
    if missing:
        raise InputError(f"objective matrices missing for {', '.join(missing)}")
    rows = []
    for perspective, p_weight in top.weights.items():
        # a perspective with one objective has the 1 x 1 matrix [[1]]: weight 1, CI 0
        local = ahp_weights(objective_matrices[perspective], method, ri_table,
                            name=f"{perspective} objectives")
        for objective, l_weight in local.weights.items():
            rows.append({"perspective": perspective, "objective": objective,
                         "perspective_weight": float(p_weight), "local_weight": float(l_weight),
                         "global_weight": float(p_weight * l_weight),
                         "perspective_cr": top.cr, "objective_cr": local.cr})
    return pd.DataFrame(rows)


__all__ = ["RANDOM_INDEX", "RANDOM_INDEX_TABLES", "DEFAULT_RANDOM_INDEX", "CONSISTENT_BELOW",
           "AHPResult", "random_index", "validate_matrix", "ahp_weights", "ahp_hierarchy"]
