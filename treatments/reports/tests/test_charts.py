"""The SVG charts (pure): well-formed whatever the labels hold, with their text
alternatives, bars to scale, and nothing the Content-Security-Policy would refuse."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from treatments.reports.charts import Bar, Part, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own markup


def test_labels_are_escaped_so_the_markup_stays_well_formed():
    markup = bar_chart(
        slug="x",
        title='Rooms & <devices> "quoted"',
        desc="</desc><script>alert(1)</script>",
        bars=[Bar("<b>Room & co</b>", [Part("Booked", "#000", 3)], "3 < 4")],
    )
    svg = parse(markup)
    assert svg.find(f"{SVG}title").text == 'Rooms & <devices> "quoted"'
    assert svg.find(f"{SVG}desc").text == "</desc><script>alert(1)</script>"
    assert "<script" not in markup
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["<b>Room & co</b>", "3 < 4"]


def test_a_chart_names_its_title_and_description_for_screen_readers():
    svg = parse(bar_chart(slug="rooms", title="T", desc="D", bars=[]))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "rooms-title rooms-desc"
    assert svg.find(f"{SVG}title").get("id") == "rooms-title"
    assert svg.find(f"{SVG}desc").get("id") == "rooms-desc"


def test_bars_are_drawn_to_scale_and_stacked_parts_follow_each_other():
    svg = parse(
        bar_chart(
            slug="s",
            title="T",
            desc="D",
            bars=[
                Bar("a", [Part("x", "#111", 1), Part("y", "#222", 3)], "4"),
                Bar("b", [Part("x", "#111", 2), Part("y", "#222", 0)], "2"),
            ],
        )
    )
    rects = [r for r in svg.iter(f"{SVG}rect")]
    a_x, a_y, b_x = rects[0], rects[1], rects[2]
    assert float(a_y.get("width")) == 3 * float(a_x.get("width"))
    assert float(a_y.get("x")) == float(a_x.get("x")) + float(a_x.get("width"))
    assert float(b_x.get("width")) == 2 * float(a_x.get("width"))
    assert len(rects) == 3  # a part of 0 draws nothing
    assert {r.get("fill") for r in rects} == {"#111", "#222"}


def test_a_percentage_chart_keeps_its_scale_and_grows_past_a_full_bar():
    def width(value: float, scale: float) -> float:
        svg = parse(bar_chart(slug="p", title="T", desc="D", scale=scale,
                              bars=[Bar("a", [Part("x", "#111", value)], "")]))  # fmt: skip
        return float(next(svg.iter(f"{SVG}rect")).get("width"))

    assert width(50, 100) * 2 == width(100, 100)
    assert width(150, 100) == width(100, 100)  # the largest bar sets the scale past 100%


def test_an_empty_chart_says_so_and_there_is_no_style_attribute_anywhere():
    svg = parse(bar_chart(slug="e", title="T", desc="D", bars=[], empty="Nothing here."))
    assert "Nothing here." in [t.text for t in svg.iter(f"{SVG}text")]
    assert not any(el.get("style") for el in svg.iter())


def test_a_long_label_is_shortened_to_fit_its_column_and_kept_whole_in_the_bars_title():
    label = "Dropped (cancelled after a session was done)"
    svg = parse(bar_chart(slug="l", title="T", desc="D",
                          bars=[Bar(label, [Part("x", "#111", 1)], "1")]))  # fmt: skip
    shown = next(svg.iter(f"{SVG}text")).text
    assert len(shown) <= 30 and shown.endswith("…")
    assert svg.find(f"{SVG}g/{SVG}title").text == f"{label}: 1"
