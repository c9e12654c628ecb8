"""Hand-written SVG plots for the validity report (no matplotlib, no network).

Every function returns one self-contained ``<svg>`` element as a string: a ``<title>`` and a
``<desc>`` (the alt text, also given as ``aria-label`` with ``role="img"``), labelled axes with
ticks, and a legend when there is more than one series. All text that goes into the SVG is
XML-escaped here, so labels taken from the bank or the spec cannot inject markup. Colours are the
Okabe-Ito palette (distinguishable with the common colour-vision deficiencies), and series are
also told apart by dash pattern so that a grey-scale print stays readable.

The elements carry no ``xmlns``: they are meant to be inlined in HTML, whose parser puts them in
the SVG namespace, and the report then contains no URL at all.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3", "10 4")

_FONT = "font-family:Helvetica,Arial,sans-serif"
_CLIP_IDS = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One line of a line plot.

    Attributes
    ----------
    label
        Legend text.
    x, y
        Coordinates (same length); non-finite points break the line.
    markers
        Draw a dot at every point (for short series such as a scree plot).
    """

    label: str
    x: Sequence[float]
    y: Sequence[float]
    markers: bool = False


@dataclass(frozen=True)
class Marker:
    """A vertical reference line (for example the cut score) with its label."""

    x: float
    label: str


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def nice_ticks(lo: float, hi: float, *, target: int = 6) -> list[float]:
    """Round tick positions covering ``[lo, hi]`` (steps of 1, 2, 2.5 or 5 times a power of 10).

    Parameters
    ----------
    lo, hi
        The data range; ``lo == hi`` is widened by one unit each way.
    target
        About how many ticks to produce.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("lo and hi must be finite")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        lo, hi = lo - 1.0, hi + 1.0
    raw = (hi - lo) / max(target - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    n = int(round((stop - start) / step))
    return [round(start + k * step, 10) for k in range(n + 1)]


def _fmt_tick(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000 or float(v).is_integer():
        return f"{v:.0f}"
    text = f"{v:.3g}"
    return text


class _Frame:
    """Maps data coordinates to pixels inside a plotting area with margins."""

    def __init__(self, width, height, xlim, ylim, *, left=58, right=16, top=44, bottom=46):
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.x0, self.x1 = xlim
        self.y0, self.y1 = ylim

    @property
    def plot_w(self):
        return self.width - self.left - self.right

    @property
    def plot_h(self):
        return self.height - self.top - self.bottom

    def px(self, x):
        return self.left + (x - self.x0) / (self.x1 - self.x0) * self.plot_w

    def py(self, y):
        return self.top + (1 - (y - self.y0) / (self.y1 - self.y0)) * self.plot_h


def _open(width: int, height: int, title: str, alt: str) -> list[str]:
    return [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_t(alt)}" class="plot">',
        f"<title>{_t(title)}</title>",
        f"<desc>{_t(alt)}</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2:.1f}" y="20" text-anchor="middle" style="{_FONT};font-size:14px;'
        f'font-weight:bold">{_t(title)}</text>',
    ]


def _axes(frame: _Frame, xticks, yticks, xlabel: str, ylabel: str, *, grid: bool = True):
    out = []
    left, top = frame.left, frame.top
    right = frame.width - frame.right
    bottom = frame.height - frame.bottom
    for v in yticks:
        y = frame.py(v)
        if grid:
            out.append(
                f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e3e3e3"/>'
            )
        out.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#333"/>')
        out.append(
            f'<text x="{left - 7}" y="{y + 4:.1f}" text-anchor="end" '
            f'style="{_FONT};font-size:11px">{_t(_fmt_tick(v))}</text>'
        )
    for v in xticks:
        x = frame.px(v)
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#333"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" '
            f'style="{_FONT};font-size:11px">{_t(_fmt_tick(v))}</text>'
        )
    out.append(
        f'<rect x="{left}" y="{top}" width="{frame.plot_w}" height="{frame.plot_h}" '
        f'fill="none" stroke="#333"/>'
    )
    out.append(
        f'<text x="{left + frame.plot_w / 2:.1f}" y="{frame.height - 8}" text-anchor="middle" '
        f'style="{_FONT};font-size:12px">{_t(xlabel)}</text>'
    )
    cy = top + frame.plot_h / 2
    out.append(
        f'<text x="14" y="{cy:.1f}" text-anchor="middle" transform="rotate(-90 14 {cy:.1f})" '
        f'style="{_FONT};font-size:12px">{_t(ylabel)}</text>'
    )
    return out


def _legend(
    frame: _Frame,
    entries: Sequence[tuple[str, str, str, str]],
    points: np.ndarray | None = None,
) -> list[str]:
    """entries: (label, colour, dash, kind) with kind 'line' or 'box'.

    The legend goes in the corner of the plotting area that covers the fewest data ``points``
    (pixel coordinates, shape ``(n, 2)``), top right on ties.
    """
    if not entries:
        return []
    out = []
    longest = max(len(label) for label, *_ in entries)
    box_w = min(28 + 6.5 * longest, frame.plot_w * 0.6)
    box_h = 16 * len(entries) + 6
    right_x = frame.width - frame.right - box_w - 6
    left_x = frame.left + 6
    top_y = frame.top + 6
    bottom_y = frame.height - frame.bottom - box_h - 6
    corners = [(right_x, top_y), (left_x, top_y), (right_x, bottom_y), (left_x, bottom_y)]
    x, y = corners[0]
    if points is not None and len(points):
        pad = 6

        def covered(corner):
            cx, cy = corner
            inside = (
                (points[:, 0] >= cx - pad)
                & (points[:, 0] <= cx + box_w + pad)
                & (points[:, 1] >= cy - pad)
                & (points[:, 1] <= cy + box_h + pad)
            )
            return int(inside.sum())

        x, y = min(corners, key=covered)
    out.append(
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{box_w:.1f}" height="{box_h}" '
        f'fill="#ffffff" fill-opacity="0.85" stroke="#bbb"/>'
    )
    for k, (label, colour, dash, kind) in enumerate(entries):
        ly = round(y + 14 + 16 * k, 1)
        if kind == "box":
            out.append(
                f'<rect x="{x + 6:.1f}" y="{ly - 8}" width="16" height="9" fill="{colour}"/>'
            )
        else:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{x + 6:.1f}" y1="{ly - 4}" x2="{x + 22:.1f}" y2="{ly - 4}" '
                f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
            )
        out.append(
            f'<text x="{x + 27:.1f}" y="{ly}" style="{_FONT};font-size:11px">{_t(label)}</text>'
        )
    return out


def _densify(pixels: list[tuple[float, float]], step: float = 4.0) -> np.ndarray:
    """Points along the polyline through ``pixels`` every ``step`` pixels (for legend placement)."""
    if len(pixels) < 2:
        return np.asarray(pixels, dtype=float).reshape(-1, 2)
    p = np.asarray(pixels, dtype=float)
    out = [p]
    for a, b in zip(p[:-1], p[1:], strict=True):
        n = int(np.hypot(*(b - a)) // step)
        if n > 1:
            t = np.linspace(0, 1, n)[:, None]
            out.append(a + t * (b - a))
    return np.concatenate(out)


def _marker_lines(frame: _Frame, markers: Sequence[Marker]) -> list[str]:
    out = []
    for m in markers:
        if not (math.isfinite(m.x) and frame.x0 <= m.x <= frame.x1):
            continue
        x = frame.px(m.x)
        out.append(
            f'<line x1="{x:.1f}" y1="{frame.top - 3}" x2="{x:.1f}" '
            f'y2="{frame.height - frame.bottom}" stroke="#555" stroke-dasharray="4 3"/>'
        )
        # the label sits in the top margin, above the plotting area, so it never crosses a
        # curve; it is anchored to the side of the line with room for it
        anchor, dx = ("end", -3) if x > frame.left + 0.6 * frame.plot_w else ("start", 3)
        out.append(
            f'<text x="{x + dx:.1f}" y="{frame.top - 6}" text-anchor="{anchor}" '
            f'fill="#333" style="{_FONT};font-size:11px">{_t(m.label)}</text>'
        )
    return out


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return 0.0, 1.0
    return float(v.min()), float(v.max())


def line_plot(
    series: Sequence[Series],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    alt: str,
    markers: Sequence[Marker] = (),
    ylim: tuple[float, float] | None = None,
    width: int = 500,
    height: int = 320,
    uid: str | None = None,
) -> str:
    """A line plot of one or more series (TIF, TCC, CSEM, item curves, scree).

    Parameters
    ----------
    series
        The lines; a legend is drawn when there are two or more.
    title, xlabel, ylabel
        Texts of the plot (escaped).
    alt
        The alternative text for screen readers and for a reader of the printout.
    markers
        Vertical reference lines, e.g. ``Marker(-0.4, "cut")``.
    ylim
        Fixed y range; by default from the data (starting at 0 when all values are >= 0).
    width, height
        Size in pixels.
    uid
        Makes the plot's element ids unique in a page (``plotclip-<uid>``); give each plot of a
        page its own. Without it a process-wide counter is used.
    """
    if not series:
        raise ValueError("series must not be empty")
    xs = np.concatenate([np.asarray(s.x, dtype=float) for s in series])
    ys = np.concatenate([np.asarray(s.y, dtype=float) for s in series])
    for s in series:
        if len(s.x) != len(s.y):
            raise ValueError(f"series '{s.label}': x and y differ in length")
    xlo, xhi = _finite_range(xs)
    if ylim is None:
        ylo, yhi = _finite_range(ys)
        if ylo >= 0:
            ylo = 0.0
    else:
        ylo, yhi = ylim
    xt = nice_ticks(xlo, xhi)
    yt = nice_ticks(ylo, yhi)
    frame = _Frame(width, height, (xt[0], xt[-1]), (yt[0], yt[-1]))
    out = _open(width, height, title, alt)
    out += _axes(frame, xt, yt, xlabel, ylabel)
    legend = []
    pixel_runs: list[list[tuple[float, float]]] = []
    clip = f"plotclip-{uid}" if uid else f"plotclip{next(_CLIP_IDS)}"
    out.append(
        f'<clipPath id="{clip}"><rect x="{frame.left}" y="{frame.top}" '
        f'width="{frame.plot_w}" height="{frame.plot_h}"/></clipPath>'
    )
    for k, s in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        x = np.asarray(s.x, dtype=float)
        y = np.asarray(s.y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        # one polyline per run of finite points
        runs: list[list[str]] = [[]]
        pixel_runs.append([])
        for xi, yi, good in zip(x, y, ok, strict=True):
            if good:
                runs[-1].append(f"{frame.px(xi):.1f},{frame.py(yi):.1f}")
                pixel_runs[-1].append((frame.px(xi), frame.py(yi)))
            elif runs[-1]:
                runs.append([])
                pixel_runs.append([])
        for run in runs:
            if len(run) >= 2:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash_attr} clip-path="url(#{clip})"/>'
                )
        if s.markers:
            for xi, yi in zip(x[ok], y[ok], strict=True):
                out.append(
                    f'<circle cx="{frame.px(xi):.1f}" cy="{frame.py(yi):.1f}" r="3" '
                    f'fill="{colour}" clip-path="url(#{clip})"/>'
                )
        legend.append((s.label, colour, dash, "line"))
    out += _marker_lines(frame, markers)
    if len(series) > 1:
        out += _legend(frame, legend, np.concatenate([_densify(r) for r in pixel_runs]))
    out.append("</svg>")
    return "\n".join(out)


def histogram(
    values: Sequence[float],
    *,
    title: str,
    xlabel: str,
    alt: str,
    ylabel: str = "Number of candidates",
    bins: int | Sequence[float] = 20,
    markers: Sequence[Marker] = (),
    width: int = 500,
    height: int = 300,
) -> str:
    """A histogram of ``values`` (non-finite values are left out), e.g. the score distribution."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise ValueError("values has no finite entries")
    counts, edges = np.histogram(v, bins=bins)
    lo, hi = float(edges[0]), float(edges[-1])
    xt = [t for t in nice_ticks(lo, hi) if lo - 1e-9 <= t <= hi + 1e-9] or [lo, hi]
    yt = nice_ticks(0.0, float(counts.max()))
    frame = _Frame(width, height, (lo, hi), (0, yt[-1]))
    out = _open(width, height, title, alt)
    out += _axes(frame, xt, yt, xlabel, ylabel)
    for c, lo, hi in zip(counts, edges[:-1], edges[1:], strict=True):
        if c == 0:
            continue
        x, x2 = frame.px(lo), frame.px(hi)
        y = frame.py(c)
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(x2 - x - 1, 0.5):.1f}" '
            f'height="{frame.py(0) - y:.1f}" fill="{PALETTE[0]}" fill-opacity="0.75"/>'
        )
    out += _marker_lines(frame, markers)
    out.append("</svg>")
    return "\n".join(out)


def wright_map(
    person_theta: Sequence[float],
    item_difficulty: Sequence[float],
    *,
    title: str = "Wright map: candidates and items on the theta scale",
    alt: str | None = None,
    cut: float | None = None,
    bin_width: float = 0.25,
    width: int = 500,
    height: int = 420,
) -> str:
    """Persons (left, histogram) against item difficulties (right, one dot per item) on one axis.

    Parameters
    ----------
    person_theta
        Ability estimates of the candidates.
    item_difficulty
        One location per item (``b``, or the mean threshold of a polytomous item).
    cut
        Theta cut score, drawn as a horizontal line.
    bin_width
        Height of a theta bin in logits.
    """
    p = np.asarray(person_theta, dtype=float)
    p = p[np.isfinite(p)]
    d = np.asarray(item_difficulty, dtype=float)
    d = d[np.isfinite(d)]
    if p.size == 0 and d.size == 0:
        raise ValueError("no finite person or item locations")
    both = np.concatenate([p, d] + ([np.array([cut])] if cut is not None else []))
    lo = math.floor(both.min() / bin_width) * bin_width
    hi = math.ceil(both.max() / bin_width) * bin_width
    if hi <= lo:
        hi = lo + bin_width
    edges = np.arange(lo, hi + bin_width / 2, bin_width)
    pc, _ = np.histogram(p, bins=edges)
    ic, _ = np.histogram(d, bins=edges)
    if alt is None:
        alt = (
            f"Wright map of {p.size} candidates and {d.size} items. Candidate theta median "
            f"{np.median(p) if p.size else float('nan'):.2f}; item difficulty median "
            f"{np.median(d) if d.size else float('nan'):.2f}."
        )
    top, bottom, left, right = 34, 46, 58, 16
    mid = left + (width - left - right) / 2
    plot_h = height - top - bottom
    yt = nice_ticks(lo, hi)
    y0, y1 = min(yt[0], lo), max(yt[-1], hi)

    def py(t):
        return top + (1 - (t - y0) / (y1 - y0)) * plot_h

    out = _open(width, height, title, alt)
    out.append(
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{plot_h}" '
        f'fill="none" stroke="#333"/>'
    )
    out.append(f'<line x1="{mid}" y1="{top}" x2="{mid}" y2="{top + plot_h}" stroke="#333"/>')
    for v in yt:
        y = py(v)
        out.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#333"/>')
        out.append(
            f'<text x="{left - 7}" y="{y + 4:.1f}" text-anchor="end" '
            f'style="{_FONT};font-size:11px">{_t(_fmt_tick(v))}</text>'
        )
    half = mid - left - 8
    pmax = max(int(pc.max()) if pc.size else 1, 1)
    bar_h = max(plot_h * bin_width / (y1 - y0) - 1, 0.5)
    for c, e in zip(pc, edges[:-1], strict=True):
        if c:
            w = half * c / pmax
            out.append(
                f'<rect x="{mid - w:.1f}" y="{py(e + bin_width):.1f}" width="{w:.1f}" '
                f'height="{bar_h:.1f}" fill="{PALETTE[0]}" fill-opacity="0.75"/>'
            )
    dot = 5.0
    per_row = max(int((width - right - mid - 10) // (dot + 1)), 1)
    for c, e in zip(ic, edges[:-1], strict=True):
        yc = (py(e) + py(e + bin_width)) / 2
        for k in range(int(c)):
            if k >= per_row:
                out.append(
                    f'<text x="{mid + 6 + per_row * (dot + 1):.1f}" y="{yc + 3:.1f}" '
                    f'style="{_FONT};font-size:9px">+{int(c) - per_row}</text>'
                )
                break
            out.append(
                f'<circle cx="{mid + 6 + k * (dot + 1):.1f}" cy="{yc:.1f}" r="{dot / 2}" '
                f'fill="{PALETTE[1]}"/>'
            )
    if cut is not None and math.isfinite(cut):
        y = py(cut)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#333" '
            f'stroke-dasharray="4 3"/>'
        )
        out.append(
            f'<text x="{width - right - 4}" y="{y - 4:.1f}" text-anchor="end" '
            f'style="{_FONT};font-size:11px">cut {_t(f"{cut:.2f}")}</text>'
        )
    out.append(
        f'<text x="{(left + mid) / 2:.1f}" y="{height - 14}" text-anchor="middle" '
        f'style="{_FONT};font-size:12px">Candidates (bar length: count, max {pmax})</text>'
    )
    out.append(
        f'<text x="{(mid + width - right) / 2:.1f}" y="{height - 14}" text-anchor="middle" '
        f'style="{_FONT};font-size:12px">Items (one dot per item, at b)</text>'
    )
    cy = top + plot_h / 2
    out.append(
        f'<text x="14" y="{cy:.1f}" text-anchor="middle" transform="rotate(-90 14 {cy:.1f})" '
        f'style="{_FONT};font-size:12px">Theta (logistic, D = 1)</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    ylabel: str,
    alt: str,
    width: int = 500,
    height: int = 280,
) -> str:
    """A simple vertical bar chart (e.g. pass rate by group)."""
    if len(labels) != len(values) or not labels:
        raise ValueError("labels and values must be non-empty and of equal length")
    v = np.asarray(values, dtype=float)
    yt = nice_ticks(0.0, float(np.nanmax(np.abs(v))) if np.isfinite(v).any() else 1.0)
    frame = _Frame(width, height, (0, len(labels)), (0, yt[-1]))
    out = _open(width, height, title, alt)
    out += _axes(frame, [], yt, "", ylabel)
    slot = frame.plot_w / len(labels)
    for k, (label, val) in enumerate(zip(labels, v, strict=True)):
        x = frame.left + k * slot + slot * 0.2
        if math.isfinite(val):
            y = frame.py(val)
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" '
                f'height="{frame.py(0) - y:.1f}" fill="{PALETTE[k % len(PALETTE)]}"/>'
            )
        out.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{frame.height - frame.bottom + 16}" '
            f'text-anchor="middle" style="{_FONT};font-size:11px">{_t(label)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
