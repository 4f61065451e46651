"""Inline SVG charts for the report: score histograms with thresholds and what-if curves.

Charts are drawn here in Python as plain SVG strings so that the page needs no chart library
and renders the same with JavaScript off.
"""

from __future__ import annotations

from html import escape

from engine.output.scores import ScoreColumn, view_range

W, H = 420, 190
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 14, 30


def _x(value: float, lo: float, hi: float) -> float:
    span = (hi - lo) or 1.0
    return PAD_L + (value - lo) / span * (W - PAD_L - PAD_R)


def _y(frac: float) -> float:
    return PAD_T + (1 - frac) * (H - PAD_T - PAD_B)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _axes(lo: float, hi: float, y_label: str, y_max: str) -> list[str]:
    base = H - PAD_B
    out = [
        f'<line class="axis" x1="{PAD_L}" y1="{base}" x2="{W - PAD_R}" y2="{base}"/>',
        f'<line class="axis" x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{base}"/>',
        f'<text class="tick" x="{PAD_L - 4}" y="{PAD_T + 4}" text-anchor="end">{y_max}</text>',
        f'<text class="tick" x="{PAD_L - 4}" y="{base}" text-anchor="end">0</text>',
        f'<text class="tick" x="12" y="{(PAD_T + base) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(PAD_T + base) / 2})">{escape(y_label)}</text>',
    ]
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        out.append(f'<text class="tick" x="{_x(v, lo, hi):.1f}" y="{base + 14}" '
                   f'text-anchor="middle">{_fmt(v)}</text>')
    return out


def _threshold_marks(col: ScoreColumn, lo: float, hi: float) -> list[str]:
    if col.threshold is None or not lo <= col.threshold <= hi:
        return []
    x = _x(col.threshold, lo, hi)
    base = H - PAD_B
    x0, x1 = (PAD_L, x) if col.keep_above else (x, W - PAD_R)
    return [
        f'<rect class="reject-zone" x="{x0:.1f}" y="{PAD_T}" width="{x1 - x0:.1f}" '
        f'height="{base - PAD_T}"><title>rejected side of the threshold</title></rect>',
        f'<line class="threshold" x1="{x:.1f}" y1="{PAD_T - 4}" x2="{x:.1f}" y2="{base}"/>',
        f'<text class="thr-label" x="{x + 4:.1f}" y="{PAD_T + 8}">'
        f'{escape(col.direction)} {_fmt(col.threshold)}</text>',
    ]


def histogram_svg(col: ScoreColumn) -> str:
    """Bars of the stage's score histogram (every record it saw), with its threshold marked."""
    hist = col.histogram
    if not hist or not hist.get("counts"):
        return ""
    lo, hi = view_range(col)
    pairs = [(a, b, c) for a, b, c in zip(hist["edges"][:-1], hist["edges"][1:], hist["counts"],
                                          strict=True) if a >= lo - 1e-12 and b <= hi + 1e-12]
    top = max((c for _, _, c in pairs), default=0) or 1
    parts = _axes(lo, hi, "records", str(top)) + _threshold_marks(col, lo, hi)
    for a, b, c in pairs:
        if not c:
            continue
        x0, x1 = _x(a, lo, hi), _x(b, lo, hi)
        y = _y(c / top)
        passes = col.threshold is None or (
            (a + b) / 2 >= col.threshold if col.keep_above else (a + b) / 2 <= col.threshold)
        cls = "bar" if passes else "bar bar-out"
        parts.append(f'<rect class="{cls}" x="{x0 + 0.5:.1f}" y="{y:.1f}" '
                     f'width="{max(x1 - x0 - 1, 1):.1f}" height="{H - PAD_B - y:.1f}">'
                     f"<title>{_fmt(a)} to {_fmt(b)}: {c}</title></rect>")
    return _svg(parts, f"Histogram of {col.name}")


def what_if_svg(col: ScoreColumn, points: list[tuple[float, float]]) -> str:
    """The share of records kept as a function of the threshold, the run's threshold marked."""
    if len(points) < 2:
        return ""
    lo, hi = points[0][0], points[-1][0]
    parts = _axes(lo, hi, "kept", "100%") + _threshold_marks(col, lo, hi)
    path = " ".join(f"{'M' if i == 0 else 'L'}{_x(t, lo, hi):.1f},{_y(f):.1f}"
                    for i, (t, f) in enumerate(points))
    parts.append(f'<path class="curve" d="{path}"/>')
    if col.threshold is not None and col.kept_at(col.threshold) is not None:
        f = col.kept_at(col.threshold)
        parts.append(f'<circle class="dot" cx="{_x(col.threshold, lo, hi):.1f}" '
                     f'cy="{_y(f):.1f}" r="4"><title>{f:.1%} kept</title></circle>')
    return _svg(parts, f"Share kept as the {col.name} threshold moves")


def curve_points(col: ScoreColumn, n: int = 60) -> list[tuple[float, float]]:
    """``n`` (threshold, kept fraction) points across the column's range."""
    if not col.histogram and not (col.kept_values.size or col.rejected_values.size):
        return []
    lo, hi = view_range(col)
    if hi <= lo:
        return []
    return col.what_if([lo + (hi - lo) * i / (n - 1) for i in range(n)])


def _svg(parts: list[str], label: str) -> str:
    body = "".join(parts)
    return (f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}">'
            f"{body}</svg>")
