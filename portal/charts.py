"""Server-rendered SVG bar charts (no JavaScript): horizontal bars with labels, values and a
zero line, negative values (uptake, credits) drawn to the left. Text uses a font list that
starts with Noto Sans CJK SC so Chinese and English labels both render."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = ("'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', "
        "'PingFang SC', sans-serif")
WIDTH = 900
ROW = 24
BAR = 16
TOP = 34
BOTTOM = 10
VALUE_WIDTH = 96
FONT_SIZE = 12
POSITIVE = "#2f7d4f"
NEGATIVE = "#b5473a"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its value (for the length) and the value as shown."""

    label: str
    value: float
    text: str


def text_width(text: str, size: int = FONT_SIZE) -> float:
    """An estimate of rendered width: CJK glyphs are one em wide, others about 0.56 em."""
    return sum(size if ord(c) >= 0x2E80 else 0.56 * size for c in text)


def fit(text: str, width: float, size: int = FONT_SIZE) -> str:
    """*text* shortened with an ellipsis to fit *width* pixels."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def with_others(bars: Sequence[Bar], limit: int, others: str, text: str) -> list[Bar]:
    """The first *limit* bars, and one bar summing the rest labelled *others*."""
    if len(bars) <= limit:
        return list(bars)
    rest = bars[limit - 1:]
    total = sum(b.value for b in rest)
    return [*bars[:limit - 1], Bar(others, total, text.format(total))]


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, unit: str) -> Markup:
    """An SVG horizontal bar chart of *bars* titled *title* with values in *unit*."""
    height = TOP + ROW * max(len(bars), 1) + BOTTOM
    label_width = min(380.0, max([text_width(b.label) for b in bars] + [60.0]) + 12)
    area = WIDTH - label_width - VALUE_WIDTH - 8
    lowest = max([-b.value for b in bars if b.value < 0] + [0.0])
    highest = max([b.value for b in bars if b.value > 0] + [0.0])
    scale = area / (lowest + highest) if lowest + highest > 0 else 0.0
    zero = label_width + lowest * scale
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" '
        f'font-size="{FONT_SIZE}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)} ({escape(unit)})</title>',
        f'<text x="0" y="18" font-size="14" font-weight="bold" fill="#1d2a22">'
        f'{escape(title)} <tspan font-weight="normal">({escape(unit)})</tspan></text>',
    ]
    for i, bar in enumerate(bars):
        y = TOP + i * ROW
        length = abs(bar.value) * scale
        x = zero - length if bar.value < 0 else zero
        colour = NEGATIVE if bar.value < 0 else POSITIVE
        value_x = (zero + length + 4) if bar.value >= 0 else (zero + 4)
        out.append(
            f'<g><title>{escape(bar.label)}: {escape(bar.text)} {escape(unit)}</title>'
            f'<text x="{label_width - 8:.1f}" y="{y + 13}" text-anchor="end" '
            f'fill="#1d2a22">{escape(fit(bar.label, label_width - 12))}</text>'
            f'<rect x="{x:.1f}" y="{y + 1}" width="{max(length, 0.5):.1f}" height="{BAR}" '
            f'fill="{colour}"/>'
            f'<text x="{value_x:.1f}" y="{y + 13}" fill="#1d2a22">{escape(bar.text)}</text>'
            f'</g>')
    out.append(f'<line x1="{zero:.1f}" y1="{TOP - 4}" x2="{zero:.1f}" '
               f'y2="{height - BOTTOM + 2}" stroke="#55645a" stroke-width="1"/>')
    out.append("</svg>")
    return Markup("".join(out))
