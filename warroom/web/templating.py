"""HTML from Jinja2 templates, autoescaped (a value is text unless a template marks it safe), and CSS from files: each read once.

Templates are written one element per line for reading, and served compact: each line loses its
indentation and its line break (a line break between two inline elements would be a space on the
page). A space a template needs goes inside a line.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from warroom.web import theme

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SCALED_CSS = frozenset({"big_screen.css", "rail.css"})  # drawn for a 1920 px TV in rem, and scaled with the window


class _CompactLoader(jinja2.FileSystemLoader):
    """Load a template with each line stripped and the lines joined, so that the HTML has no stray spaces."""

    def get_source(self, environment: jinja2.Environment, template: str):
        source, filename, uptodate = super().get_source(environment, template)
        return "".join(line.strip() for line in source.splitlines()), filename, uptodate


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=_CompactLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined, auto_reload=False)


def render(template: str, /, **context: object) -> str:
    """Return the HTML of one template under web/templates with `context`, every value escaped unless the template says otherwise."""
    return _environment().get_template(template).render(**context)


def safe(text: str) -> Markup:
    """Return HTML that this package built (another template's output) marked safe, to be put inside a template as it is."""
    return Markup(text)


def scaled(css: str) -> str:
    """Return big-screen CSS with every `rem` made a `--wr-u`: the screen is drawn for 1920 px in rem, and scales with the window.

    `--wr-u` is 1/120 of the viewport's width (16 px on a 1920 px TV, 12 px at 1440, 10.7 px at
    1280), and a fixed size on a phone, where the panels stack; so the same layout fits every screen.
    """
    return re.sub(r"(?<![\w.-])(\d+(?:\.\d+)?)rem\b", r"calc(\1 * var(--wr-u))", css)


@cache
def stylesheet(name: str) -> str:
    """Return one CSS file of web/static with the theme's colours and font stack filled in (and scaled, for the big screen)."""
    source = (STATIC / name).read_text(encoding="utf-8")
    css = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined).from_string(source).render(
        **theme.PALETTE, font_stack=theme.FONT_STACK, chart_height_rem=f"{theme.CHART_HEIGHT / 16:g}",
    )
    return scaled(css) if name in SCALED_CSS else css


def style_tag(*names: str) -> str:
    """Return a <style> element of the CSS files named, in order."""
    return "<style>" + "".join(stylesheet(name) for name in names) + "</style>"
