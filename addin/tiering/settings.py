"""The Settings-sheet keys that customer tiering reads, their defaults and their checks.

``tier_settings(settings)`` takes the Settings sheet (the DataFrame the reader returns, indexed
by Excel row, so a bad value is reported with its row) or a plain ``{key: value}`` mapping, and
returns a :class:`TierSettings`. The keys (``as_of``, ``tier_by``, ``abc_a``, ``abc_b``,
``pyramid_shares``, ``pyramid_labels``, ``key_account_tiers``, the life-cycle thresholds of
:class:`~addin.tiering.lifecycle.LifecycleRules`, ``clv_months``, ``monthly_discount_rate``,
``retention_rate``), their types, defaults and ranges are those of the one Settings registry,
:mod:`addin.contract.settings`, which reads every value; this module adds the checks between
keys (abc_b at least abc_a, one pyramid label per share, key-account tiers among the labels).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from addin.contract.settings import SHEET, SettingValues, read_settings
from addin.errors import InputError
from addin.tiering.lifecycle import LifecycleRules


def check_pyramid(shares: Sequence[float], labels: Sequence[str]) -> tuple[np.ndarray, list]:
    """Shares as an array and labels as stripped text, or ``InputError``: one label per share,
    shares > 0 adding up to 1 (within 1e-6), labels distinct and not blank."""
    shares_a = np.asarray(list(shares), dtype=float)
    labels_l = [str(label).strip() for label in labels]
    if len(shares_a) == 0 or len(shares_a) != len(labels_l):
        raise InputError(f"the pyramid needs one label per share (got {len(shares_a)} shares "
                         f"and {len(labels_l)} labels)")
    if not (np.isfinite(shares_a).all() and (shares_a > 0).all()):
        raise InputError("every pyramid share must be a number > 0")
    if abs(shares_a.sum() - 1) > 1e-6:
        raise InputError(f"the pyramid shares must add up to 1 (they add up to "
                         f"{shares_a.sum():.6g})")
    if any(not label for label in labels_l) or len(set(labels_l)) != len(labels_l):
        raise InputError("the pyramid labels must be distinct and not blank")
    return shares_a, labels_l


@dataclass(frozen=True)
class TierSettings:
    """Everything :func:`addin.tiering.tier_customers` reads from the Settings sheet."""

    as_of: pd.Timestamp | None = None
    tier_by: str = "revenue"
    abc_a: float = 0.8
    abc_b: float = 0.95
    pyramid_shares: tuple[float, ...] = (0.01, 0.04, 0.15, 0.80)
    pyramid_labels: tuple[str, ...] = ("VIP", "Key", "Standard", "Small")
    key_account_tiers: tuple[str, ...] = ("VIP", "Key")
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)
    clv_months: int = 12
    monthly_discount_rate: float = 0.01
    retention_rate: float | None = None


def tier_settings(settings: Mapping[str, object] | pd.DataFrame | SettingValues | None,
                  sheet: str = SHEET) -> TierSettings:
    """Read the tiering keys of the Settings sheet (see the module table) into
    :class:`TierSettings`, checking each; a bad value raises InputError naming its row of
    ``sheet`` (the Settings sheet's name in the workbook, such as 设置)."""
    s = read_settings(settings, sheet)
    v = s.values("tier")  # every unreadable tiering value at once, each with its row
    if s.has("abc_b") and v["abc_b"] < v["abc_a"]:
        raise s.fail("abc_b", "a share at least abc_a")
    abc_b = v["abc_b"] if s.has("abc_b") else max(0.95, v["abc_a"])
    shares, labels = v["pyramid_shares"], v["pyramid_labels"]
    try:
        check_pyramid(shares, labels)
    except ValueError as exc:
        about_labels = "labels must" in str(exc)
        key = ("pyramid_labels" if about_labels or not s.has("pyramid_shares")
               else "pyramid_shares")
        raise s.fail(key, f"pyramid_shares and pyramid_labels that go together: {exc}") from exc
    default_keys = tuple(labels[:2]) if len(labels) > 2 else tuple(labels[:1])
    key_tiers = v["key_account_tiers"] if s.has("key_account_tiers") else default_keys
    unknown = [t for t in key_tiers if t not in labels]
    if unknown:
        raise s.fail("key_account_tiers",
                     f"tier names from pyramid_labels ({', '.join(labels)}); "
                     f"{', '.join(unknown)} is not one")
    rules = LifecycleRules(**{f.name: v[f.name] for f in fields(LifecycleRules)})
    return TierSettings(
        as_of=v["as_of"],
        tier_by=v["tier_by"],
        abc_a=v["abc_a"],
        abc_b=abc_b,
        pyramid_shares=tuple(shares),
        pyramid_labels=tuple(labels),
        key_account_tiers=tuple(key_tiers),
        lifecycle=rules,
        clv_months=v["clv_months"],
        monthly_discount_rate=v["monthly_discount_rate"],
        retention_rate=v["retention_rate"],
    )
