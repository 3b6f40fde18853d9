"""Charts drawn on the server as SVG: pure logic, plain data in, markup out.

They meet the strict Content-Security-Policy (no script, no `style` attribute: colours are
SVG presentation attributes such as `fill=`, sizes come from `static/css/reports.css`), say
what they show to a screen reader (`role="img"`, a `<title>` and a `<desc>` named by
`aria-labelledby`, and the table under each chart holds every figure), and print (the
stylesheet's print rules). Built with ElementTree, so every name and label is escaped and
the markup is well-formed whatever it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from django.utils.safestring import SafeString, mark_safe

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 720
LABEL_WIDTH = 250  # the left column of row labels (`_clip` keeps them inside it)
VALUE_WIDTH = 70  # the right column of figures
ROW = 26
BAR = 18
TOP = 8
LEGEND_ROW = 22
TEXT = "#1f1f1f"
GRID = "#8a8a8a"
FONT = "13"


@dataclass(frozen=True)
class Part:
    """One series of a stacked bar: its name, colour and value."""

    label: str
    colour: str
    value: float


@dataclass(frozen=True)
class Bar:
    """One row: a label, its parts (one for a plain bar) and the figure written after it."""

    label: str
    parts: Sequence[Part]
    figure: str

    @property
    def total(self) -> float:
        return sum(part.value for part in self.parts)


def _svg(slug: str, title: str, desc: str, height: int) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": str(WIDTH),
            "height": str(height),
            "role": "img",
            "aria-labelledby": f"{slug}-title {slug}-desc",
            "class": "chart",
            "font-family": "system-ui, sans-serif",
            "font-size": FONT,
        },
    )
    ET.SubElement(svg, "title", {"id": f"{slug}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{slug}-desc"}).text = desc
    return svg


def _text(parent: ET.Element, x: float, y: float, text: str, **attrs: str) -> None:
    ET.SubElement(parent, "text", {"x": f"{x:g}", "y": f"{y:g}", "fill": TEXT, **attrs}).text = text


def bar_chart(
    *,
    slug: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    scale: float | None = None,
    legend: Sequence[tuple[str, str]] = (),
    empty: str = "Nothing to show for these dates.",
) -> SafeString:
    """Horizontal bars, stacked when a bar has several parts, one row per `bars` item, its
    figure written at the end of the row. `scale` is the value of a full-width bar (the
    largest total when not given); `legend` is (label, colour) for each series."""
    legend_height = LEGEND_ROW * len(legend) + (6 if legend else 0)
    height = TOP * 2 + ROW * max(len(bars), 1) + legend_height
    svg = _svg(slug, title, desc, height)
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 10
    largest = max((bar.total for bar in bars), default=0)
    scale = max(scale or 0, largest) or 1
    if not bars:
        _text(svg, 10, TOP + ROW * 0.65, empty)
    ET.SubElement(
        svg,
        "line",
        {
            "x1": str(LABEL_WIDTH),
            "x2": str(LABEL_WIDTH),
            "y1": str(TOP),
            "y2": str(TOP + ROW * max(len(bars), 1)),
            "stroke": GRID,
        },
    )
    for row, bar in enumerate(bars):
        y = TOP + row * ROW
        group = ET.SubElement(svg, "g", {"class": "bar"})
        ET.SubElement(group, "title").text = f"{bar.label}: {bar.figure}"
        _text(group, LABEL_WIDTH - 8, y + BAR * 0.8, _clip(bar.label), **{"text-anchor": "end"})
        x = float(LABEL_WIDTH)
        for part in bar.parts:
            if part.value <= 0:
                continue
            width = area * part.value / scale
            ET.SubElement(
                group,
                "rect",
                {
                    "x": f"{x:.1f}",
                    "y": f"{y + (ROW - BAR) / 2:.1f}",
                    "width": f"{width:.1f}",
                    "height": str(BAR),
                    "fill": part.colour,
                    "stroke": "#ffffff",
                    "stroke-width": "0.5",
                },
            )
            x += width
        _text(group, x + 6, y + BAR * 0.8, bar.figure)
    y = TOP + ROW * max(len(bars), 1) + 6
    for label, colour in legend:
        ET.SubElement(
            svg,
            "rect",
            {"x": str(LABEL_WIDTH), "y": str(y + 3), "width": "14", "height": "14", "fill": colour},
        )
        _text(svg, LABEL_WIDTH + 20, y + 15, label)
        y += LEGEND_ROW
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308 - ElementTree escaped it


def _clip(label: str, most: int = 30) -> str:
    """A row label that fits its column; the whole label is in the row's title and table."""
    return label if len(label) <= most else label[: most - 1] + "…"
