"""Charts of the observatory drawn on the server as SVG, pure: no JavaScript, every text escaped.

Each chart is an image (`role="img"`) named by its `<title>` and described by its `<desc>` (the one-sentence
summary); the page shows the same figures in a data table beside it, so the chart itself is decoration for
those who read the table. Widths are in the SVG's own units: it scales to its container (`viewBox`).
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

WIDTH = 480
BAR = 20
GAP = 6
LABEL = 180
COLOURS = ("#1f4e9c", "#b34700", "#2e7d32", "#6a1b9a", "#00695c", "#8d6e00")


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _open(ident: str, title: str, summary: str, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphique" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{_attr(ident)}-titre {_attr(ident)}-desc" focusable="false">'
        f'<title id="{_attr(ident)}-titre">{escape(title)}</title>'
        f'<desc id="{_attr(ident)}-desc">{escape(summary)}</desc>'
    )


def bars(ident: str, title: str, summary: str, items: Sequence[tuple[str, int, str]]) -> Markup:
    """Horizontal bars: one per (label, value, value as shown), longest = the largest value."""
    height = max(1, len(items)) * (BAR + GAP) + GAP
    largest = max((v for _, v, _ in items), default=0) or 1
    room = WIDTH - LABEL - 100
    parts = [_open(ident, title, summary, height)]
    for n, (label, value, shown) in enumerate(items):
        y = GAP + n * (BAR + GAP)
        length = round(room * value / largest) if value else 0
        short = label if len(label) <= 23 else label[:22] + "…"
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + BAR * 0.7:.1f}" text-anchor="end" class="graphique__libelle">'
            f"{escape(short)}</text>"
            f'<rect x="{LABEL}" y="{y}" width="{length}" height="{BAR}" fill="{COLOURS[0]}"/>'
            f'<text x="{LABEL + length + 6}" y="{y + BAR * 0.7:.1f}" class="graphique__valeur">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    ident: str, title: str, summary: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> Markup:
    """Stacked columns: one per label (a month), one colour per series (a source), with a legend."""
    plot_top, plot_height, legend = 10, 180, 24
    height = plot_top + plot_height + 34 + legend
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    largest = max(totals, default=0) or 1
    step = (WIDTH - 50) / max(1, len(labels))
    width = max(4.0, step * 0.7)
    parts = [_open(ident, title, summary, height)]
    base = plot_top + plot_height
    parts.append(f'<line x1="40" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#5c5c5c"/>')
    parts.append(
        f'<text x="36" y="{plot_top + 10}" text-anchor="end" class="graphique__valeur">{largest}</text>'
    )
    parts.append(f'<text x="36" y="{base}" text-anchor="end" class="graphique__valeur">0</text>')
    for i, label in enumerate(labels):
        x = 45 + i * step
        top: float = base
        for k, (_, values) in enumerate(series):
            h = plot_height * values[i] / largest
            top -= h
            if h:
                parts.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[k % len(COLOURS)]}"/>'
                )
        parts.append(
            f'<text x="{x + width / 2:.1f}" y="{base + 14}" text-anchor="middle" class="graphique__libelle">'
            f"{escape(label)}</text>"
        )
    x = 45.0
    for k, (name, _) in enumerate(series):
        y = base + 24
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{COLOURS[k % len(COLOURS)]}"/>'
            f'<text x="{x + 16:.1f}" y="{y + 10}" class="graphique__libelle">{escape(name)}</text>'
        )
        x += 16 + 8 * len(name) + 20
    parts.append("</svg>")
    return Markup("".join(parts))
