"""The Settings-sheet keys that customer tiering reads, their defaults and their checks.

``tier_settings(settings)`` takes the Settings sheet (the DataFrame the reader returns, indexed
by Excel row, so a bad value is reported with its row) or a plain ``{key: value}`` mapping, and
returns a :class:`TierSettings`. Keys match ignoring case, spaces, ``_`` and ``-``; keys that
tiering does not use are ignored; a missing or blank key takes its default. A value that cannot
be used raises :class:`~addin.errors.InputError` naming the Settings row and what was expected.

| key | default | meaning |
| --- | --- | --- |
| ``as_of`` | last transaction date | the date the tiers are computed as of |
| ``tier_by`` | ``revenue`` | ``revenue`` or ``margin``: the value that ABC and the pyramid rank |
| ``abc_a``, ``abc_b`` | 0.8, 0.95 | cumulative-share thresholds of classes A and B |
| ``pyramid_shares`` | ``0.01,0.04,0.15,0.80`` | the tiers' shares of customers, top first |
| ``pyramid_labels`` | ``VIP,Key,Standard,Small`` | the tiers' names |
| ``key_account_tiers`` | the first two tiers | tiers whose customers are key accounts |
| ``inactive_days`` ... | see :class:`addin.lifecycle.LifecycleRules` | life-cycle thresholds |
| ``clv_months`` | 12 | CLV horizon in months |
| ``monthly_discount_rate`` | 0.01 | CLV discount rate a month |
| ``retention_rate`` | estimated | yearly retention for the simple CLV formula |
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from addin.contract import coerce
from addin.contract.schema import header_key
from addin.errors import InputError
from addin.tiering.lifecycle import LifecycleRules

SHEET = "Settings"
_LIST_SPLIT = re.compile(r"\s*[,，;；、]\s*")


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


class _Reader:
    """Looks keys up and converts their values, raising InputError with the row."""

    def __init__(self, settings: Mapping[str, object] | pd.DataFrame | None,
                 sheet: str) -> None:
        self.sheet = sheet
        self.rows: dict[str, tuple[int | None, str, object]] = {}
        if settings is None:
            return
        if isinstance(settings, pd.DataFrame):
            items = [(row, k, v) for row, k, v in zip(settings.index, settings["key"],
                                                       settings["value"], strict=True)]
        else:
            items = [(None, k, v) for k, v in settings.items()]
        for row, key, value in items:
            if key is None or (isinstance(key, float) and np.isnan(key)):
                continue
            blank = value is None or (isinstance(value, float) and np.isnan(value)) or (
                isinstance(value, str) and not value.strip())
            if not blank:
                excel_row = int(row) if isinstance(row, (int, np.integer)) else None
                self.rows[header_key(key)] = (excel_row, str(key).strip(), value)

    def fail(self, key: str, expected: str) -> InputError:
        row, name, value = self.rows[header_key(key)]
        return InputError(f"setting {name!r}: expected {expected}", sheet=self.sheet, row=row,
                          column="value", value=value, has_value=True)

    def has(self, key: str) -> bool:
        return header_key(key) in self.rows

    def raw(self, key: str) -> object:
        return self.rows[header_key(key)][2]

    def number(self, key: str, default, expected: str, ok=lambda v: True):
        if not self.has(key):
            return default
        value, bad = coerce.to_number(pd.Series([self.raw(key)], dtype=object))
        v = float(value.iloc[0])
        if bool(bad.iloc[0]) or not np.isfinite(v) or not ok(v):
            raise self.fail(key, expected)
        return v

    def whole(self, key: str, default: int, expected: str) -> int:
        v = self.number(key, default, expected, lambda v: v >= 0 and float(v).is_integer())
        return int(v)

    def words(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        if not self.has(key):
            return default
        return tuple(w for w in _LIST_SPLIT.split(str(self.raw(key)).strip()) if w)

    def numbers(self, key: str, default: tuple[float, ...], expected: str) -> tuple[float, ...]:
        if not self.has(key):
            return default
        parts = self.words(key, ())
        values, bad = coerce.to_number(pd.Series(list(parts), dtype=object))
        if not parts or bad.any() or values.isna().any():
            raise self.fail(key, expected)
        return tuple(float(v) for v in values)

    def date(self, key: str) -> pd.Timestamp | None:
        if not self.has(key):
            return None
        value, bad = coerce.to_date(pd.Series([self.raw(key)], dtype=object))
        if bool(bad.iloc[0]) or pd.isna(value.iloc[0]):
            raise self.fail(key, "a date such as 2026-10-31")
        return pd.Timestamp(value.iloc[0]).normalize()


def tier_settings(settings: Mapping[str, object] | pd.DataFrame | None,
                  sheet: str = SHEET) -> TierSettings:
    """Read the tiering keys of the Settings sheet (see the module table) into
    :class:`TierSettings`, checking each; a bad value raises InputError naming its row of
    ``sheet`` (the Settings sheet's name in the workbook, such as 设置)."""
    s = _Reader(settings, sheet)
    share = "a share between 0 and 1 (such as 0.8 or 80%)"
    tier_by = TierSettings.tier_by
    if s.has("tier_by"):
        tier_by = str(s.raw("tier_by")).strip().casefold()
        if tier_by not in ("revenue", "margin"):
            raise s.fail("tier_by", "revenue or margin")
    abc_a = s.number("abc_a", 0.8, share, lambda v: 0 < v <= 1)
    abc_b = s.number("abc_b", max(0.95, abc_a), share + " and at least abc_a",
                     lambda v: abc_a <= v <= 1)

    shares = s.numbers("pyramid_shares", TierSettings.pyramid_shares,
                       "shares of customers separated by commas, such as 0.01,0.04,0.15,0.80")
    labels = s.words("pyramid_labels", TierSettings.pyramid_labels)
    try:
        check_pyramid(shares, labels)
    except ValueError as exc:
        about_labels = "labels must" in str(exc)
        key = ("pyramid_labels" if about_labels or not s.has("pyramid_shares")
               else "pyramid_shares")
        raise s.fail(key, f"pyramid_shares and pyramid_labels that go together: {exc}") from exc
    default_keys = tuple(labels[:2]) if len(labels) > 2 else tuple(labels[:1])
    key_tiers = s.words("key_account_tiers", default_keys)
    unknown = [t for t in key_tiers if t not in labels]
    if unknown:
        raise s.fail("key_account_tiers",
                     f"tier names from pyramid_labels ({', '.join(labels)}); "
                     f"{', '.join(unknown)} is not one")

    rules = LifecycleRules()
    changes: dict[str, object] = {}
    for f in fields(LifecycleRules):
        default = getattr(rules, f.name)
        if isinstance(default, int) and not isinstance(default, bool):
            changes[f.name] = s.whole(f.name, default, "a whole number of days or orders >= 0")
        elif f.name in ("alive_threshold", "decline_drop"):
            changes[f.name] = s.number(f.name, default, share, lambda v: 0 <= v <= 1)
        else:
            changes[f.name] = s.number(f.name, default, "a number >= 0", lambda v: v >= 0)
    if changes["decline_drop"] == 0:
        raise s.fail("decline_drop", "a share above 0")
    rules = LifecycleRules(**changes)

    retention = None
    if s.has("retention_rate"):
        retention = s.number("retention_rate", None, share, lambda v: 0 <= v <= 1)
    return TierSettings(
        as_of=s.date("as_of"),
        tier_by=tier_by,
        abc_a=abc_a,
        abc_b=abc_b,
        pyramid_shares=tuple(shares),
        pyramid_labels=tuple(labels),
        key_account_tiers=tuple(key_tiers),
        lifecycle=rules,
        clv_months=s.whole("clv_months", 12, "a whole number of months >= 0"),
        monthly_discount_rate=s.number("monthly_discount_rate", 0.01,
                                       "a rate such as 0.01 or 1%", lambda v: 0 <= v < 1),
        retention_rate=retention,
    )
