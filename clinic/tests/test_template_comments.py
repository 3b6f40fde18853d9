"""Django's `{# … #}` comment ends on its own line: one left open shows its words on the page."""

from pathlib import Path

from django.conf import settings


def test_no_template_opens_a_one_line_comment_it_does_not_close_on_that_line():
    open_comments = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for root in settings.TEMPLATES[0]["DIRS"]
        for path in Path(root).rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert open_comments == [], "use {% comment %} for comments over several lines"
