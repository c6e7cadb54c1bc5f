"""A small SVG writer for the reviews' charts: bars, lines, dots and text as plain SVG
elements with presentation attributes.

Why not matplotlib for these: a pack lays out three charts per review (75 for 25 accounts),
and both ends of a matplotlib SVG are slow for that many. matplotlib spends ~50 ms a chart
measuring tick labels on save, and its SVG (nested groups, a ``<style>`` rule applied to every
node, a ``style`` attribute parsed per element) costs WeasyPrint ~0.2 s a chart to draw. The
charts here are bars, polylines and labels at positions computed once; WeasyPrint draws one in
a few milliseconds. Text stays text in the page's fonts (``DejaVu Sans, Noto Sans CJK SC``,
written without quotes: see ``charts._SVG_FAMILY``), so pdftotext still reads the labels.

Coordinates are points (1/72 inch) from the top left, as in SVG.
"""

from __future__ import annotations

import base64
import math
import unicodedata
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

FAMILY = "DejaVu Sans,Noto Sans CJK SC"
PT = 72.0  # points per inch


def _n(value: float) -> str:
    """A coordinate with two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def finite(value: float | None) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


class Svg:
    """An SVG document of ``width`` x ``height`` inches, built element by element."""

    def __init__(self, width: float, height: float, font_size: float = 8,
                 ink: str = "#1f2d3d") -> None:
        self.width, self.height = width * PT, height * PT
        self.font_size = font_size
        self.ink = ink
        self.parts: list[str] = []

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str,
             width: float = 0.8, dash: str | None = None) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
                          f'stroke="{stroke}" stroke-width="{_n(width)}"{extra}/>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        if h < 0:
            y, h = y + h, -h
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
                          f'fill="{fill}"/>')

    def polyline(self, points: Sequence[tuple[float, float]], stroke: str,
                 width: float = 1.6) -> None:
        if len(points) < 2:
            return
        text = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polyline points="{text}" fill="none" stroke="{stroke}" '
                          f'stroke-width="{_n(width)}" stroke-linejoin="round"/>')

    def circle(self, x: float, y: float, r: float, fill: str) -> None:
        self.parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}"/>')

    def text(self, x: float, y: float, text: str, anchor: str = "middle",
             size: float | None = None, fill: str | None = None, rotate: bool = False) -> None:
        """``text`` with its baseline at ``y``; each ``\\n`` starts a line below.

        ``anchor`` (start, middle, end) is applied here, from the characters' advance widths
        (:func:`text_width`), and the element is written start-anchored: WeasyPrint wraps
        every middle- or end-anchored SVG text in a PDF group of its own (about 3 % of a
        review's rendering for ~60 labels). A rotated label turns about (x, y), so it is
        centred along its own line as SVG's anchor would centre it."""
        size = size or self.font_size
        attrs = f' font-size="{_n(size)}"' if size != self.font_size else ""
        if fill and fill != self.ink:
            attrs += f' fill="{fill}"'
        share = {"start": 0.0, "middle": 0.5, "end": 1.0}[anchor]
        for i, line in enumerate(str(text).split("\n")):
            if not line:
                continue
            ly = y + i * size * 1.2
            turn = f' transform="rotate(-90 {_n(x)} {_n(ly)})"' if rotate else ""
            lx = x - share * text_width(line, size)
            self.parts.append(f'<text x="{_n(lx)}" y="{_n(ly)}"{attrs}{turn}>'
                              f'{escape(line)}</text>')

    def svg(self) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}pt" '
                f'height="{_n(self.height)}pt" viewBox="0 0 {_n(self.width)} '
                f'{_n(self.height)}" font-family={quoteattr(FAMILY)} '
                f'font-size="{_n(self.font_size)}" fill="{self.ink}">'
                + "".join(self.parts) + "</svg>")

    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(
            self.svg().encode("utf-8")).decode("ascii")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """At most ``count + 1`` round tick values (steps of 1, 2, 2.5 or 5 times a power of ten)
    covering [low, high], as matplotlib's MaxNLocator picks them."""
    if not (finite(low) and finite(high)) or high <= low:
        return [low] if finite(low) else []
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in (1, 2, 2.5, 5, 10):
        if (high - low) / (m * magnitude) <= count:
            step = m * magnitude
            break
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9 and len(ticks) <= count + 1:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value = first + len(ticks) * step
    return ticks


# Advance widths of printable ASCII (U+0020-U+007E) in DejaVu Sans 2.37, font units of 2048
# to the em (its hmtx table; tests/test_reports_render.py reads them back from the installed
# font). WeasyPrint sets SVG text one character at a time, so a label's width is the sum of
# its characters' advances, without kerning.
_DEJAVU_ASCII = (
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716,
    1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767,
    1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690,
    799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186,
    569, 1995, 1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075,
    1303, 690, 1303, 1716)
DEJAVU_EM = 2048
_DEJAVU_MORE = {"¥": 1303, "±": 1716, "·": 651, "–": 1024, "−": 1716, "€": 1303}


def char_width(ch: str) -> float:
    """The advance of ``ch`` in ems as the chart's fonts set it: DejaVu Sans for ASCII and
    the few symbols above, a full em for wide characters (Noto Sans CJK SC's ideographs,
    kana and full-width forms, East Asian Width W or F), else 0.6 em (DejaVu Sans' mean
    letter; such a label is centred to within a fraction of a point)."""
    code = ord(ch)
    if 0x20 <= code <= 0x7E:
        return _DEJAVU_ASCII[code - 0x20] / DEJAVU_EM
    if ch in _DEJAVU_MORE:
        return _DEJAVU_MORE[ch] / DEJAVU_EM
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    return 0.6


def text_width(text: str, size: float) -> float:
    """How wide ``text`` sets at ``size`` points in an SVG chart (:func:`char_width` of each
    character): where a label starts when it is centred or right-aligned, and how far apart a
    legend's entries go."""
    return sum(char_width(c) for c in text) * size


__all__ = ["Svg", "nice_ticks", "text_width", "finite", "FAMILY"]
