"""The report charts: matplotlib figures saved as SVG and embedded as ``data:`` URIs.

SVG stays crisp when printed. Each chart is a ``data:image/svg+xml;base64,...`` URI for an
``<img>``: inline ``<svg>`` from matplotlib duplicates element ids across charts and slows
WeasyPrint down (DESIGN.md, field notes), and an ``<img>`` is one more wall against markup in
the data: the SVG is an image, never part of the page's HTML. Text stays text
(``svg.fonttype`` none), in the font family ``DejaVu Sans, Noto Sans CJK SC``, so WeasyPrint
draws it with the same embedded fonts as the page; axis numbers, months and quarters are
formatted per language by Babel (CLDR), never by hand.

The summary's charts are :class:`matplotlib.figure.Figure` figures on the Agg backend (no
pyplot state, nothing left open). The review's three charts (revenue trend, satisfaction and
NPS, tier history), drawn 75 times in a pack of 25 accounts, are hand-built SVG
(:mod:`addin.reports.svg`): the same look at a fraction of matplotlib's and WeasyPrint's cost.
Each function takes plain lists from the report context and the language and returns the URI.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from babel.dates import format_date, format_skeleton  # noqa: E402
from babel.numbers import (  # noqa: E402
    format_compact_decimal,
    format_decimal,
    format_percent,
    get_currency_symbol,
)
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from addin.reports import i18n  # noqa: E402
from addin.reports import labels as _labels  # noqa: E402  (registers the labels; terms)
from addin.reports import svg as _svg  # noqa: E402

LOG = logging.getLogger("addin.reports")
FONT_FAMILY = ("DejaVu Sans", "Noto Sans CJK SC")
# WeasyPrint splits an SVG font-family on commas and strips quotes only at each end, so
# matplotlib's "'DejaVu Sans', 'Noto Sans CJK SC'" reaches Pango as " 'Noto Sans CJK SC" and
# CJK text falls back to whatever fontconfig picks (Noto Sans CJK JP here). Written without
# quotes or spaces after the commas, every family is found.
_SVG_FAMILY = re.compile(r"font-family:\s*[^;\"]+")
_SVG_FAMILY_TEXT = "font-family: " + ",".join(FONT_FAMILY)

INK = "#1f2d3d"
GRID = "#d9dee5"
REVENUE = "#1f4e79"
MARGIN = "#e08a1e"
NPS_COLOUR = "#2e7d5b"
SATISFACTION = "#4a78b5"
THRESHOLD = "#b23b3b"
RAG = {"green": "#e3f1e6", "amber": "#fbefd5", "red": "#f7dfdd"}
WIDTH = 6.85  # inches: the text width of an A4 page with 18 mm margins

RC = {
    "svg.fonttype": "none",
    # chart text is data (names, label settings), never mathtext: "$...$" stays as typed
    "text.parse_math": False,
    "svg.hashsalt": "crm-addin",
    "font.family": list(FONT_FAMILY),
    "font.size": 8,
    "axes.edgecolor": GRID,
    "axes.labelcolor": INK,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.color": INK,
    "ytick.color": INK,
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "legend.frameon": False,
    "legend.fontsize": 8,
}


def ensure_cjk_font() -> bool:
    """Make sure matplotlib knows the Noto CJK fonts; True when it does.

    matplotlib caches the system's font list on first use; fonts installed later (the set-up
    installs ``fonts-noto-cjk``) are unknown to it until the cache is rebuilt, and CJK text in
    a chart would be laid out with the wrong widths. Adds the fonts found on the system and
    rewrites the cache once."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if FONT_FAMILY[1] in names:
        return True
    added = 0
    for path in font_manager.findSystemFonts():
        if "NotoSansCJK" in Path(path).name:
            font_manager.fontManager.addfont(path)
            added += 1
    if not added:
        LOG.warning("no Noto Sans CJK font found: install fonts-noto-cjk (scripts/setup.sh); "
                    "Chinese text in charts will not render")
        return False
    cache = Path(matplotlib.get_cachedir()) / \
        f"fontlist-v{font_manager.FontManager.__version__}.json"
    try:
        font_manager.json_dump(font_manager.fontManager, cache)
    except OSError as exc:  # a read-only cache folder: the fonts still work in this process
        LOG.warning("could not rewrite matplotlib's font cache %s: %s", cache, exc)
    return True


_FONTS_READY = ensure_cjk_font()


def to_data_uri(fig: Figure) -> str:
    """The figure as a ``data:image/svg+xml;base64`` URI (deterministic: no date, fixed ids)."""
    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = _SVG_FAMILY.sub(_SVG_FAMILY_TEXT, buf.getvalue())
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _figure(width: float, height: float, left: float = 0.62, right: float = 0.12,
            top: float = 0.12, bottom: float = 0.42) -> Figure:
    """A figure with fixed margins in inches (matplotlib's constrained layout would measure
    every label again on each save, doubling the time of a chart)."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=bottom / height)
    return fig


def _money_text(lang: str) -> Callable[[float], str]:
    """An axis number as a short money figure (``1.2M``, ``120万``), by CLDR."""
    loc = i18n.locale(lang)

    def fmt(value: float) -> str:
        if value == 0:
            return "0"
        return format_compact_decimal(value, format_type="short", locale=loc,
                                      fraction_digits=1)

    return fmt


def _money_axis(lang: str, currency: str) -> FuncFormatter:
    fmt = _money_text(lang)
    return FuncFormatter(lambda value, _pos: fmt(value))


def _month_labels(months: Sequence[str], lang: str) -> list[str]:
    """``May\\n2025``, ``Jun``, ... (the year under the first month and each January)."""
    loc = i18n.locale(lang)
    out = []
    for i, m in enumerate(months):
        day = dt.date(int(m[:4]), int(m[5:7]), 1)
        text = format_skeleton("MMM", day, locale=loc)
        if i == 0 or day.month == 1:
            text += "\n" + format_skeleton("y", day, locale=loc)
        out.append(text)
    return out


def _quarter_labels(quarters: Sequence[str], lang: str) -> list[str]:
    """``2026Q3`` -> ``Q3`` / ``3季度`` (CLDR's abbreviated quarter, pattern QQQ), the year
    under the first quarter and each first quarter of a year."""
    loc = i18n.locale(lang)
    out = []
    for i, quarter in enumerate(quarters):
        year, q = int(quarter[:4]), int(quarter[-1])
        day = dt.date(year, 3 * q - 2, 1)
        text = format_date(day, "QQQ", locale=loc)
        if i == 0 or q == 1:
            text += "\n" + format_skeleton("y", day, locale=loc)
        out.append(text)
    return out


def _no_tick_marks(ax: Any) -> None:
    ax.tick_params(which="both", bottom=False, left=False)


def _value_limits(values: Sequence[float]) -> tuple[float, float]:
    """y limits from 0 (or the lowest negative value) to a little above the highest."""
    finite = [v for v in values if _svg.finite(v)]
    low = min(finite + [0.0])
    high = max(finite + [0.0])
    if high <= low:
        high = low + 1.0
    pad = (high - low) * 0.08
    return (low - pad if low < 0 else 0.0), high + pad


class _Panel:
    """A plot area of an :class:`~addin.reports.svg.Svg` (points) with data limits: ``x(i)``
    and ``y(v)`` map data to the page; ticks, grid and spines as the matplotlib charts of
    this module draw them (``RC``)."""

    def __init__(self, svg: _svg.Svg, left: float, top: float, right: float, bottom: float,
                 xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
        self.svg, self.left, self.top, self.right, self.bottom = svg, left, top, right, bottom
        self.xlim, self.ylim = xlim, ylim

    def x(self, value: float) -> float:
        lo, hi = self.xlim
        return self.left + (value - lo) / (hi - lo) * (self.right - self.left)

    def y(self, value: float) -> float:
        lo, hi = self.ylim
        value = min(max(value, lo), hi)
        return self.bottom - (value - lo) / (hi - lo) * (self.bottom - self.top)

    def y_axis(self, ticks: Sequence[float], labels: Sequence[str], size: float = 8,
               grid: bool = True) -> None:
        for tick, label in zip(ticks, labels, strict=True):
            y = self.y(tick)
            if grid:
                self.svg.line(self.left, y, self.right, y, GRID, 0.6)
            self.svg.text(self.left - 3.5, y + size * 0.35, label, anchor="end", size=size)
        self.svg.line(self.left, self.top, self.left, self.bottom, GRID, 0.8)
        self.svg.line(self.left, self.bottom, self.right, self.bottom, GRID, 0.8)

    def x_labels(self, labels: Sequence[str], size: float = 8) -> None:
        for i, label in enumerate(labels):
            self.svg.text(self.x(i), self.bottom + 3.5 + size, label, size=size)

    def segments(self, values: Sequence[float | None]) -> list[list[tuple[float, float]]]:
        """The points of a line through ``values`` at x = 0, 1, ...; a missing value breaks
        it, as matplotlib leaves a NaN out."""
        out: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(values):
            if _svg.finite(v):
                out[-1].append((self.x(i), self.y(v)))
            elif out[-1]:
                out.append([])
        return [s for s in out if s]


def _legend(svg: _svg.Svg, x: float, y: float, entries: Sequence[tuple[str, str, str]]) -> None:
    """Legend entries (kind ``bar`` or ``line``, colour, label) in a row from (x, y)."""
    for kind, colour, label in entries:
        if kind == "bar":
            svg.rect(x, y - 6, 10, 6, colour)
        else:
            svg.line(x, y - 3, x + 10, y - 3, colour, 1.6)
            svg.circle(x + 5, y - 3, 1.5, colour)
        svg.text(x + 14, y, label, anchor="start")
        x += 14 + _svg.text_width(label, svg.font_size) + 12


def revenue_trend(months: Sequence[str], revenue: Sequence[float],
                  margin: Sequence[float] | None, lang: str = "en",
                  currency: str = "CNY", height: float = 2.35) -> str:
    """Monthly revenue (bars) and margin (line with dots) over the months given, the year
    under the first month and each January; hand-built SVG (:mod:`addin.reports.svg`)."""
    svg = _svg.Svg(WIDTH, height, ink=INK)
    values = [v if _svg.finite(v) else 0.0 for v in revenue]
    margins = [v if _svg.finite(v) else None for v in margin] if margin is not None else None
    low, high = _value_limits(values + [v for v in margins or [] if v is not None])
    n = len(months)
    panel = _Panel(svg, 0.62 * _svg.PT, 0.3 * _svg.PT, svg.width - 0.12 * _svg.PT,
                   svg.height - 0.42 * _svg.PT, (-0.6, n - 0.4), (low, high))
    ticks = [t for t in _svg.nice_ticks(low, high) if low <= t <= high]
    money = _money_text(lang)
    panel.y_axis(ticks, [money(t) for t in ticks])
    svg.text(10, (panel.top + panel.bottom) / 2,
             get_currency_symbol(currency, locale=i18n.locale(lang)), rotate=True)
    half = 0.65 / 2 * (panel.x(1) - panel.x(0))
    zero = panel.y(0.0)
    for i, v in enumerate(values):
        if v:
            svg.rect(panel.x(i) - half, zero, 2 * half, panel.y(v) - zero, REVENUE)
    entries = [("bar", REVENUE, i18n.label("revenue", lang))]
    if margins is not None:
        for points in panel.segments(margins):
            svg.polyline(points, MARGIN, 1.6)
            for x, y in points:
                svg.circle(x, y, 1.6, MARGIN)
        entries.append(("line", MARGIN, i18n.label("margin", lang)))
    panel.x_labels(_month_labels(months, lang))
    _legend(svg, panel.left + 2, panel.top - 6, entries)
    return svg.data_uri()


def satisfaction_trend(quarters: Sequence[dict], scale: int, threshold: float | None,
                       lang: str = "en") -> str:
    """Two panels per quarter: mean satisfaction (1..scale, with the threshold dashed) and
    NPS (with its 95 % margin of error where there are two answers or more). A quarter
    without answers keeps its place on the axis, empty; the number of answers under each
    quarter of the left panel. When every quarter's NPS is withheld for too few answers
    (:func:`addin.reports.month.too_few`), the NPS panel is an empty frame saying so: no
    scale, no zero line and no quarters under a panel with nothing on it (the message once
    sat on the zero line, struck through). Hand-built SVG (:mod:`addin.reports.svg`)."""
    svg = _svg.Svg(WIDTH, 2.1, ink=INK)
    loc = i18n.locale(lang)
    names = _quarter_labels([q["quarter"] for q in quarters], lang)
    n = len(quarters)
    left, right = 0.35 * _svg.PT, svg.width - 0.1 * _svg.PT
    top, bottom = 0.25 * _svg.PT, svg.height - 0.55 * _svg.PT
    width = (right - left) / 2.18  # two panels 0.18 of a panel apart (matplotlib's wspace)
    xlim = (-0.6, n - 0.4)
    sat = _Panel(svg, left, top, left + width, bottom, xlim, (1.0, float(scale)))
    nps_panel = _Panel(svg, right - width, top, right, bottom, xlim, (-100.0, 100.0))
    ticks = _svg.nice_ticks(1.0, float(scale))
    sat.y_axis(ticks, [format_decimal(t, "0.#", locale=loc) for t in ticks])
    withheld = all(q.get("nps") is None for q in quarters) \
        and any(q.get("nps_too_few") for q in quarters)
    if withheld:
        nps_panel.y_axis([], [], grid=False)
    else:
        nps_panel.y_axis([-100, -50, 0, 50, 100],
                         [format_decimal(t, "0", locale=loc) for t in (-100, -50, 0, 50, 100)])
    svg.text(sat.left, top - 5, i18n.label("axis_satisfaction", lang, scale=scale),
             anchor="start")
    svg.text(nps_panel.left, top - 5, i18n.label("nps", lang), anchor="start")
    half = 0.3 * (sat.x(1) - sat.x(0))
    for i, q in enumerate(quarters):
        mean = q.get("satisfaction")
        if _svg.finite(mean):
            svg.rect(sat.x(i) - half, sat.bottom, 2 * half, sat.y(mean) - sat.bottom,
                     SATISFACTION)
            svg.text(sat.x(i), sat.y(mean) - 2, format_decimal(mean, "0.0", locale=loc),
                     size=6.5)
        score = q.get("nps")
        if not _svg.finite(score):
            continue
        zero = nps_panel.y(0.0)
        svg.rect(nps_panel.x(i) - half, zero, 2 * half, nps_panel.y(score) - zero, NPS_COLOUR)
        moe = q.get("nps_moe")
        if _svg.finite(moe) and moe:  # the interval, within NPS's own range
            svg.line(nps_panel.x(i), nps_panel.y(min(100.0, score + moe)), nps_panel.x(i),
                     nps_panel.y(max(-100.0, score - moe)), INK, 0.8)
        svg.text(nps_panel.x(i + 0.34), nps_panel.y(score) + 2.3,
                 format_decimal(score, "0.0", locale=loc), anchor="start", size=6.5)
    if withheld:  # say so, not a blank
        svg.text((nps_panel.left + nps_panel.right) / 2,
                 (nps_panel.top + nps_panel.bottom) / 2 + 2.5,
                 i18n.label("too_few_short", lang), size=7, fill="#6b7785")
    else:
        svg.line(nps_panel.left, nps_panel.y(0.0), nps_panel.right, nps_panel.y(0.0), INK,
                 0.6)
    if threshold is not None and _svg.finite(threshold):
        svg.line(sat.left, sat.y(threshold), sat.right, sat.y(threshold), THRESHOLD, 1.0,
                 dash="3.7,1.6")
    # the answer counts under the left panel only: both panels show the same quarters
    sat.x_labels([f"{name}\n{i18n.label('sample_n', lang, n=q['responses'])}"
                  for name, q in zip(names, quarters, strict=True)], size=6.5)
    if not withheld:
        nps_panel.x_labels(names, size=6.5)
    return svg.data_uri()


def tier_history(history: Sequence[dict], tier_labels: Sequence[str],
                 lang: str = "en") -> str:
    """The account's pyramid tier at each month's end, the top tier at the top (a step line
    changing half-way between months, a dot per month). Hand-built SVG
    (:mod:`addin.reports.svg`)."""
    svg = _svg.Svg(WIDTH, 1.45, ink=INK)
    months = [h["month"] for h in history]
    levels = {label: len(tier_labels) - i for i, label in enumerate(tier_labels)}
    panel = _Panel(svg, 0.75 * _svg.PT, 0.08 * _svg.PT, svg.width - 0.12 * _svg.PT,
                   svg.height - 0.38 * _svg.PT, (-0.5, max(len(months), 2) - 0.5),
                   (0.5, len(tier_labels) + 0.5))
    panel.y_axis(list(levels.values()), [_labels.term("tier", name, lang) for name in levels])
    y = [levels.get(h["tier"]) for h in history]
    steps: list[list[tuple[float, float]]] = [[]]
    for i, level in enumerate(y):
        if level is None:
            steps.append([])
            continue
        start = i - 0.5 if steps[-1] else i  # a line starts at its first month, as "mid"
        end = i + 0.5 if i + 1 < len(y) and y[i + 1] is not None else i
        steps[-1] += [(panel.x(start), panel.y(level)), (panel.x(end), panel.y(level))]
    for points in steps:
        svg.polyline(points, REVENUE, 1.6)
    for i, level in enumerate(y):
        if level is not None:
            svg.circle(panel.x(i), panel.y(level), 2.1, REVENUE)
    panel.x_labels(_month_labels(months, lang))
    return svg.data_uri()


def pareto_curve(x: Sequence[float], y: Sequence[float], point_x: float | None,
                 point_y: float | None, value_label: str, lang: str = "en") -> str:
    """Cumulative share of value against the share of customers (largest first), with the
    Pareto point marked."""
    loc = i18n.locale(lang)
    pct = FuncFormatter(lambda v, _p: format_percent(v, "#,##0%", locale=loc))
    fig = _figure(3.3, 2.45, left=0.6, bottom=0.5, top=0.1, right=0.15)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        ax.plot(x, y, color=REVENUE, linewidth=1.8, zorder=3)
        ax.plot([0, 1], [1, 0], color=GRID, linewidth=0.8, linestyle=":", zorder=1)
        if point_x is not None and point_y is not None:
            ax.plot([point_x, point_x, 0], [0, point_y, point_y], color=MARGIN, linewidth=0.9,
                    linestyle="--", zorder=2)
            ax.scatter([point_x], [point_y], color=MARGIN, s=18, zorder=4)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.xaxis.set_major_formatter(pct)
        ax.yaxis.set_major_formatter(pct)
        ax.grid(axis="both")
        ax.set_xlabel(i18n.label("axis_customers_share", lang))
        ax.set_ylabel(i18n.label("axis_value_share", lang, value=value_label))
    return to_data_uri(fig)


def nps_trend(quarters: Sequence[dict], lang: str = "en") -> str:
    """Portfolio NPS per quarter with its 95 % margin of error (quarters without answers
    keep their place, empty)."""
    fig = _figure(3.3, 2.3, left=0.55, bottom=0.5, top=0.1, right=0.1)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        x = list(range(len(quarters)))
        scores = [q["nps"] if q.get("nps") is not None else float("nan") for q in quarters]
        moe = [q.get("nps_moe") or 0 for q in quarters]
        ax.errorbar(x, scores, yerr=moe, color=NPS_COLOUR, marker="o", markersize=4,
                    linewidth=1.6, ecolor=INK, elinewidth=0.8, capsize=3, zorder=3)
        ax.axhline(0, color=INK, linewidth=0.6)
        names = _quarter_labels([q["quarter"] for q in quarters], lang)
        ax.set_xticks(x, [f"{name}\n{i18n.label('sample_n', lang, n=q.get('nps_n', 0))}"
                          for name, q in zip(names, quarters, strict=True)], fontsize=6.5)
        shown = [(s, m) for s, m in zip(scores, moe, strict=True) if s == s]
        low = min([s - m for s, m in shown] + [0])
        high = max([s + m for s, m in shown] + [10])
        pad = (high - low) * 0.15
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlim(-0.5, max(len(quarters), 2) - 0.5)
        ax.set_ylabel(i18n.label("nps", lang))
    return to_data_uri(fig)


def scorecard_trend(periods: Sequence[str], overall: Sequence[float | None],
                    lang: str = "en") -> str:
    """The overall scorecard score per month on red (< 80), amber (80-100) and green bands
    (the default progress thresholds of :func:`addin.scorecard.kpi_status`)."""
    fig = _figure(3.3, 2.1, left=0.55, bottom=0.45, top=0.1, right=0.1)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        x = list(range(len(periods)))
        ax.axhspan(0, 80, color=RAG["red"], zorder=0, linewidth=0)
        ax.axhspan(80, 100, color=RAG["amber"], zorder=0, linewidth=0)
        ax.axhspan(100, 105, color=RAG["green"], zorder=0, linewidth=0)
        values = [v if v is not None else float("nan") for v in overall]
        ax.plot(x, values, color=INK, marker="o", markersize=3, linewidth=1.4, zorder=3)
        shown = [v for v in values if v == v]
        ax.set_ylim(max(0, min(shown + [80]) - 10), 105)
        ax.set_xticks(x, _month_labels(periods, lang), fontsize=6)
        _no_tick_marks(ax)
        ax.set_xlim(-0.5, max(len(periods), 2) - 0.5)
        ax.set_ylabel(i18n.label("axis_score", lang))
        ax.grid(False)
    return to_data_uri(fig)


def revenue_forecast(months: Sequence[str], model: Sequence[float | None],
                     low: Sequence[float | None], high: Sequence[float | None],
                     baseline: Sequence[float | None], lang: str = "en",
                     currency: str = "CNY") -> str:
    """The model's monthly forecast (line) in its 95 % interval (band) beside the
    exponential-smoothing baseline (dashed)."""
    fig = _figure(WIDTH, 2.1, top=0.3)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        x = list(range(len(months)))

        def ys(values):
            return [v if v is not None else float("nan") for v in values]

        band = ax.fill_between(x, ys(low), ys(high), color=REVENUE, alpha=0.15, linewidth=0,
                               label=i18n.label("forecast_interval", lang), zorder=1)
        (line,) = ax.plot(x, ys(model), color=REVENUE, marker="o", markersize=3, linewidth=1.6,
                          label=i18n.label("forecast_model", lang), zorder=3)
        (base,) = ax.plot(x, ys(baseline), color=MARGIN, linestyle="--", linewidth=1.4,
                          label=i18n.label("forecast_baseline", lang), zorder=2)
        ax.set_xticks(x, _month_labels(months, lang))
        _no_tick_marks(ax)
        ax.yaxis.set_major_formatter(_money_axis(lang, currency))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set_ylabel(get_currency_symbol(currency, locale=i18n.locale(lang)))
        ax.set_xlim(-0.6, len(months) - 0.4)
        ax.set_ylim(*_value_limits([*ys(high), *ys(baseline)]))
        ax.legend(handles=[line, band, base], loc="lower left", ncols=3,
                  bbox_to_anchor=(0, 1.0), borderaxespad=0.2)
    return to_data_uri(fig)


def _text_width(text: str, size: float) -> float:
    """Rough width of ``text`` in inches at ``size`` points: CJK characters are a full em,
    others about 0.55 em (DejaVu Sans' average); enough to keep labels apart."""
    ems = sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text)
    return ems * size / 72


def _spread_labels(points: Sequence[tuple[float, float, str]], x_per_inch: float,
                   y_per_inch: float, size: float, x_max: float) -> list[tuple[float, float,
                                                                             str, str]]:
    """Label positions that do not overlap: each label starts level with its point, to its
    right (to its left when it would pass ``x_max``); working up from the lowest point, a
    label that would cover a label already placed, or another point, moves up just past it.
    Returns (x, y, text, horizontal alignment) per point, in the points' order."""
    height = size * 1.3 / 72 * y_per_inch
    gap = 0.06 * x_per_inch
    dot = 0.04 * x_per_inch
    # the points are obstacles too (a label must not hide a neighbour's dot)
    placed: list[tuple[float, float, float]] = [(x - dot, x + dot, y) for x, y, _ in points]
    out: list[tuple[float, float, str, str] | None] = [None] * len(points)
    for i in sorted(range(len(points)), key=lambda k: (points[k][1], points[k][0])):
        x, y, text = points[i]
        width = _text_width(text, size) * x_per_inch
        if x + gap + width <= x_max:
            x0, x1, ha, tx = x + gap, x + gap + width, "left", x + gap
        else:
            x0, x1, ha, tx = x - gap - width, x - gap, "right", x - gap
        ty = y
        moved = True
        while moved:
            moved = False
            for a, b, other in placed:
                # a tolerance, so a label set exactly one height above another is clear of it
                if x0 < b and a < x1 and abs(ty - other) < height * (1 - 1e-9):
                    ty = other + height
                    moved = True
        placed.append((x0, x1, ty))
        out[i] = (tx, ty, text, ha)
    return [o for o in out if o is not None]


def importance_performance_map(items: Sequence[dict], importance_split: float,
                               performance_split: float, split: str, lang: str = "en"
                               ) -> str:
    """The importance-performance map (Martilla & James 1977): each item at (mean
    performance, mean importance), labelled with its name (labels moved apart where they
    would overlap, with a thin leader line back to the point), the cross-hairs dashed at the
    split :func:`addin.surveys.importance_performance` used (the grand means, or the scale
    midpoint: Settings ``ipa_split``) and the four quadrants named in their corners."""
    loc = i18n.locale(lang)
    width, height = WIDTH, 3.3
    left, right, top, bottom = 0.55, 0.4, 0.2, 0.5
    fig = _figure(width, height, left=left, right=right, top=top, bottom=bottom)
    perf = [float(i["performance"]) for i in items]
    imp = [float(i["importance"]) for i in items]
    names = [_labels.item_label(i["item"], i.get("dimension"), lang) for i in items]
    xs, ys = perf + [performance_split], imp + [importance_split]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    x_pad, y_pad = max((x_hi - x_lo) * 0.12, 0.05), max((y_hi - y_lo) * 0.15, 0.05)
    label_room = max(_text_width(n, 6.5) for n in names) / (width - left - right) \
        * (x_hi - x_lo + 2 * x_pad)
    x_lim = (x_lo - x_pad, x_hi + x_pad + 0.35 * label_room)
    y_lim = (y_lo - y_pad, y_hi + y_pad * 2.2)
    concentrate = _labels.term("quadrant", "Concentrate here", "en")
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        colours = [THRESHOLD if i.get("quadrant") == concentrate else REVENUE for i in items]
        ax.scatter(perf, imp, s=16, color=colours, zorder=4)
        ax.axvline(performance_split, color=INK, linewidth=0.8, linestyle="--", zorder=2)
        ax.axhline(importance_split, color=INK, linewidth=0.8, linestyle="--", zorder=2)
        ax.set_xlim(*x_lim)
        ax.set_ylim(*y_lim)
        ax.grid(axis="both")
        x_per_inch = (x_lim[1] - x_lim[0]) / (width - left - right)
        y_per_inch = (y_lim[1] - y_lim[0]) / (height - top - bottom)
        spots = _spread_labels(list(zip(perf, imp, names, strict=True)), x_per_inch,
                               y_per_inch, 6.5, x_lim[1])
        for (px, py), (tx, ty, text, ha) in zip(zip(perf, imp, strict=True), spots,
                                                strict=True):
            ax.text(tx, ty, text, ha=ha, va="center", fontsize=6.5, color=INK, zorder=5)
            if abs(ty - py) > 0.3 * 6.5 / 72 * y_per_inch:
                ax.plot([px, tx], [py, ty], color=GRID, linewidth=0.6, zorder=3)
        # quadrant names on a white ground, so grid lines do not run through them
        corner = {"fontsize": 7, "color": "#6b7785", "zorder": 3,
                  "bbox": {"facecolor": "white", "edgecolor": "none", "pad": 0.6}}
        words = {q: _labels.term("quadrant", q, lang) for q in
                 ("Concentrate here", "Keep up the good work", "Low priority",
                  "Possible overkill")}
        ax.text(x_lim[0], y_lim[1], " " + words["Concentrate here"], ha="left", va="top",
                **corner)
        ax.text(x_lim[1], y_lim[1], words["Keep up the good work"] + " ", ha="right",
                va="top", **corner)
        ax.text(x_lim[0], y_lim[0], " " + words["Low priority"], ha="left", va="bottom",
                **corner)
        ax.text(x_lim[1], y_lim[0], words["Possible overkill"] + " ", ha="right",
                va="bottom", **corner)
        # the split values by the lines' ends, as the note under the chart names them
        ax.text(performance_split, y_lim[1], format_decimal(performance_split, "0.00",
                                                           locale=loc),
                ha="center", va="bottom", fontsize=6.5, color=INK, clip_on=False)
        ax.text(x_lim[1], importance_split, " " + format_decimal(importance_split, "0.00",
                                                                locale=loc),
                ha="left", va="center", fontsize=6.5, color=INK, clip_on=False)
        ax.set_xlabel(i18n.label("axis_performance", lang, split=split))
        ax.set_ylabel(i18n.label("axis_importance", lang, split=split))
    return to_data_uri(fig)


def review_charts(context: dict) -> dict[str, str | None]:
    """The charts of one key-account review, from its context."""
    lang, currency = context["lang"], context["currency"]
    trend = context["trend"]
    out: dict[str, str | None] = {
        "revenue_trend": revenue_trend(trend["months"], trend["revenue"], trend["margin"],
                                       lang, currency),
        "tier_history": (tier_history(context["tier_history"], context["tier_labels"], lang)
                         if context["tier_history"] else None),
        "satisfaction": None,
    }
    survey = context.get("survey")
    if survey and survey.get("quarters"):
        out["satisfaction"] = satisfaction_trend(
            survey["quarters"], survey["scale"],
            context["thresholds"]["satisfaction_threshold"], lang)
    return out


def summary_charts(context: dict) -> dict[str, str | None]:
    """The charts of the portfolio summary, from its context."""
    lang = context["lang"]
    p = context["pareto"]
    out: dict[str, str | None] = {
        "pareto": pareto_curve(p["curve"]["x"], p["curve"]["y"], p["customer_share"],
                               p["value_share"], i18n.label(f"measure_{p['value']}", lang),
                               lang) if p["curve"]["x"] else None,
        "nps_trend": None, "scorecard_trend": None,
        "company_trend": revenue_trend(context["monthly_total"]["months"],
                                       context["monthly_total"]["revenue"],
                                       context["monthly_total"]["margin"], lang,
                                       context["currency"], height=2.1),
    }
    survey = context.get("survey")
    if survey and survey.get("quarters") and any(q.get("nps") is not None
                                                 for q in survey["quarters"]):
        out["nps_trend"] = nps_trend(survey["quarters"], lang)
    ipa = survey.get("ipa") if survey else None
    out["ipa"] = (importance_performance_map(ipa["items"], ipa["importance_split"],
                                             ipa["performance_split"], ipa["split"], lang)
                  if ipa else None)
    f = context.get("forecast")
    out["forecast"] = (revenue_forecast(f["months"], f["model"], f["low"], f["high"],
                                        f["baseline"], lang, context["currency"])
                       if f else None)
    card = context.get("scorecard")
    if card and card.get("trend"):
        out["scorecard_trend"] = scorecard_trend(card["trend"]["periods"],
                                                 card["trend"]["overall"], lang)
    return out


__all__ = ["FONT_FAMILY", "ensure_cjk_font", "to_data_uri", "revenue_trend",
           "satisfaction_trend", "tier_history", "pareto_curve", "nps_trend",
           "scorecard_trend", "revenue_forecast", "importance_performance_map",
           "review_charts", "summary_charts"]
