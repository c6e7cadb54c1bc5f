"""The report charts: matplotlib figures saved as SVG and embedded as ``data:`` URIs.

SVG stays crisp when printed. Each chart is a ``data:image/svg+xml;base64,...`` URI for an
``<img>``: inline ``<svg>`` from matplotlib duplicates element ids across charts and slows
WeasyPrint down (DESIGN.md, field notes), and an ``<img>`` is one more wall against markup in
the data: the SVG is an image, never part of the page's HTML. Text stays text
(``svg.fonttype`` none), in the font family ``DejaVu Sans, Noto Sans CJK SC``, so WeasyPrint
draws it with the same embedded fonts as the page; axis numbers, months and quarters are
formatted per language by Babel (CLDR), never by hand.

Figures are made with :class:`matplotlib.figure.Figure` on the Agg backend (no pyplot state,
nothing left open). Each function takes plain lists from the report context and the
language and returns the URI.
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


class _Prepared:
    """Figures already laid out for one axis (the batch's months or quarters, one language),
    kept per process: a month's reviews share their time axis, so each review only changes
    the data and saves. Creating the axes and their labelled ticks is most of a chart's
    cost."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.figures: dict[tuple, Any] = {}

    def get(self, key: tuple, make: Callable[[], Any]) -> Any:
        entry = self.figures.get(key)
        if entry is None:
            if len(self.figures) >= self.size:
                self.figures.pop(next(iter(self.figures)))
            entry = self.figures[key] = make()
        return entry


_PREPARED = _Prepared()


def _money_axis(lang: str, currency: str) -> FuncFormatter:
    loc = i18n.locale(lang)

    def fmt(value: float, _pos: int) -> str:
        if value == 0:
            return "0"
        return format_compact_decimal(value, format_type="short", locale=loc,
                                      fraction_digits=1)

    return FuncFormatter(fmt)


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
    finite = [v for v in values if v is not None and v == v]
    low = min(finite + [0.0])
    high = max(finite + [0.0])
    if high <= low:
        high = low + 1.0
    pad = (high - low) * 0.08
    return (low - pad if low < 0 else 0.0), high + pad


def revenue_trend(months: Sequence[str], revenue: Sequence[float],
                  margin: Sequence[float] | None, lang: str = "en",
                  currency: str = "CNY", height: float = 2.35) -> str:
    """Monthly revenue (bars) and margin (line) over the months given."""
    key = ("trend", tuple(months), lang, currency, margin is not None, height)

    def make() -> tuple:
        fig = _figure(WIDTH, height, top=0.3)
        with matplotlib.rc_context(RC):
            ax = fig.add_subplot()
            x = list(range(len(months)))
            bars = ax.bar(x, [0.0] * len(x), color=REVENUE, width=0.65,
                          label=i18n.label("revenue", lang), zorder=2)
            handles = [bars]
            line = None
            if margin is not None:
                (line,) = ax.plot(x, [0.0] * len(x), color=MARGIN, marker="o", markersize=3,
                                  linewidth=1.6, label=i18n.label("margin", lang), zorder=3)
                handles.append(line)
            ax.set_xticks(x, _month_labels(months, lang))
            _no_tick_marks(ax)
            ax.yaxis.set_major_formatter(_money_axis(lang, currency))
            ax.yaxis.set_major_locator(MaxNLocator(5))
            ax.set_ylabel(get_currency_symbol(currency, locale=i18n.locale(lang)))
            ax.set_xlim(-0.6, len(months) - 0.4)
            ax.legend(handles=handles, loc="lower left", ncols=2, bbox_to_anchor=(0, 1.0),
                      borderaxespad=0.2)
        return fig, ax, bars, line

    fig, ax, bars, line = _PREPARED.get(key, make)
    for bar, value in zip(bars, revenue, strict=True):
        bar.set_height(value if value is not None else 0.0)
    values = list(revenue)
    if line is not None:
        ys = [v if v is not None else float("nan") for v in margin]
        line.set_ydata(ys)
        values += ys
    ax.set_ylim(*_value_limits(values))
    return to_data_uri(fig)


def satisfaction_trend(quarters: Sequence[dict], scale: int, threshold: float | None,
                       lang: str = "en") -> str:
    """Two panels per quarter: mean satisfaction (1..scale, with the threshold dashed) and
    NPS (with its 95 % margin of error where there are two answers or more). A quarter
    without answers keeps its place on the axis, empty; the number of answers under each
    quarter of the left panel."""
    names = _quarter_labels([q["quarter"] for q in quarters], lang)
    key = ("satisfaction", tuple(q["quarter"] for q in quarters), scale, threshold, lang)

    def make() -> tuple:
        fig = _figure(WIDTH, 2.1, left=0.35, right=0.1, top=0.25, bottom=0.55)
        with matplotlib.rc_context(RC):
            left, right = fig.subplots(1, 2)
            fig.subplots_adjust(wspace=0.18)
            x = list(range(len(quarters)))
            sat_bars = left.bar(x, [0.0] * len(x), color=SATISFACTION, width=0.6, zorder=2)
            if threshold is not None:
                left.axhline(threshold, color=THRESHOLD, linewidth=1, linestyle="--",
                             zorder=3)
            left.set_ylim(1, scale)
            left.set_title(i18n.label("axis_satisfaction", lang, scale=scale), fontsize=8,
                           loc="left")
            nps_bars = right.bar(x, [0.0] * len(x), color=NPS_COLOUR, width=0.6, zorder=2)
            right.axhline(0, color=INK, linewidth=0.6)
            right.set_ylim(-100, 100)
            right.set_title(i18n.label("nps", lang), fontsize=8, loc="left")
            for ax in (left, right):
                ax.set_xticks(x, names, fontsize=6.5)
                _no_tick_marks(ax)
                ax.set_xlim(-0.6, len(quarters) - 0.4)
        return fig, left, right, sat_bars, nps_bars

    fig, left, right, sat_bars, nps_bars = _PREPARED.get(key, make)
    # the answer counts under the left panel only: both panels show the same quarters
    labels = [f"{name}\n{i18n.label('sample_n', lang, n=q['responses'])}"
              for name, q in zip(names, quarters, strict=True)]
    left.set_xticks(range(len(quarters)), labels, fontsize=6.5)
    added = []
    loc = i18n.locale(lang)
    for i, (q, sat, nps_bar) in enumerate(zip(quarters, sat_bars, nps_bars, strict=True)):
        mean = q.get("satisfaction")
        sat.set_visible(mean is not None)
        sat.set_height(mean or 0.0)
        if mean is not None:
            added.append(left.text(i, mean, format_decimal(mean, "0.0", locale=loc),
                                   ha="center", va="bottom", fontsize=6.5, color=INK))
        score = q.get("nps")
        nps_bar.set_visible(score is not None)
        nps_bar.set_height(score or 0.0)
        if score is None:
            continue
        moe = q.get("nps_moe")
        if moe:  # the interval, within NPS's own range
            added.append(right.vlines(i, max(-100.0, score - moe), min(100.0, score + moe),
                                      color=INK, linewidth=0.8, zorder=3))
        added.append(right.text(i + 0.34, score, format_decimal(score, "0.0", locale=loc),
                                ha="left", va="center", fontsize=6.5, color=INK, zorder=4))
    if all(q.get("nps") is None for q in quarters) \
            and any(q.get("nps_too_few") for q in quarters):
        # every quarter's NPS withheld (addin.reports.month.too_few): say so, not a blank
        added.append(right.text(0.5, 0.5, i18n.label("too_few_short", lang),
                                transform=right.transAxes, ha="center", va="center",
                                fontsize=7, color="#6b7785", family=list(FONT_FAMILY)))
    try:
        return to_data_uri(fig)
    finally:
        for artist in added:
            artist.remove()


def tier_history(history: Sequence[dict], tier_labels: Sequence[str],
                 lang: str = "en") -> str:
    """The account's pyramid tier at each month's end, the top tier at the top."""
    months = tuple(h["month"] for h in history)
    key = ("tiers", months, tuple(tier_labels), lang)
    levels = {label: len(tier_labels) - i for i, label in enumerate(tier_labels)}

    def make() -> tuple:
        fig = _figure(WIDTH, 1.45, left=0.75, top=0.08, bottom=0.38)
        with matplotlib.rc_context(RC):
            ax = fig.add_subplot()
            x = list(range(len(months)))
            (line,) = ax.step(x, [0] * len(x), where="mid", color=REVENUE, linewidth=1.6,
                              zorder=2)
            dots = ax.scatter(x, [0] * len(x), color=REVENUE, s=14, zorder=3)
            ax.set_yticks(list(levels.values()),
                          [_labels.term("tier", name, lang) for name in levels])
            ax.set_ylim(0.5, len(tier_labels) + 0.5)
            ax.set_xticks(x, _month_labels(months, lang))
            _no_tick_marks(ax)
            ax.set_xlim(-0.5, max(len(months), 2) - 0.5)
        return fig, line, dots

    fig, line, dots = _PREPARED.get(key, make)
    y = [levels.get(h["tier"], 0) for h in history]
    line.set_ydata(y)
    dots.set_offsets(list(zip(range(len(y)), y, strict=True)))
    return to_data_uri(fig)


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
