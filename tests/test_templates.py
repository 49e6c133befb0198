"""The web layer's HTML comes from autoescaped Jinja2 templates and its CSS from files, all of which install with the package."""

from __future__ import annotations

import ast
import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

from warroom.web import templating

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "warroom" / "web"
TEMPLATES = sorted(path.relative_to(templating.TEMPLATES).as_posix() for path in templating.TEMPLATES.rglob("*.html"))
STYLESHEETS = sorted(path.name for path in templating.STATIC.glob("*.css"))
HOSTILE = "<script>alert('x')</script> & \"quoted\""


def rendered_templates() -> set[str]:
    """Return every template name the web layer's Python passes to render()."""
    names = set()
    for path in WEB.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "render" and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
    return names


def test_a_value_in_a_template_is_escaped():
    html = templating.render("big_screen/footer.html", line=HOSTILE)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&#34;quoted&#34;" in html


def test_the_cookie_script_holds_its_values_as_json_a_page_cannot_break_out_of():
    html = templating.render("session_cookie.html", route="/_warroom/session?", target={"code": "c", "next": "/x?a=</script><b>"})
    assert html.count("</script>") == 1 and "\\u003c/script\\u003e" in html


@pytest.mark.parametrize("name", sorted(rendered_templates()))
def test_every_template_the_code_renders_exists(name):
    assert name in TEMPLATES


def referenced_templates() -> set[str]:
    """Return the templates that other templates extend, import or include."""
    pattern = re.compile(r"""{%-?\s*(?:extends|import|from|include)\s+["']([^"']+)["']""")
    return {name for template in TEMPLATES for name in pattern.findall((templating.TEMPLATES / template).read_text(encoding="utf-8"))}


def test_every_template_is_used():
    assert set(TEMPLATES) - rendered_templates() - referenced_templates() == set()


def string_constants(path: Path) -> list[str]:
    """Return the string literals of a module (f-string parts too), without its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body and isinstance(node.body[0], ast.Expr)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


# plotly reads its labels as HTML and has its own <extra> markup: those modules escape for plotly, not for a page.
PLOTLY_TEXT = {"charts.py", "text.py"}


@pytest.mark.parametrize("path", sorted(WEB.rglob("*.py")), ids=lambda path: path.relative_to(WEB).as_posix())
def test_no_module_of_the_web_layer_writes_html_by_hand(path):
    # HTML is in the templates, where escaping is the default; the <style> tag of the CSS files is the one element built in Python.
    tags = [text for text in string_constants(path) if re.search(r"<(div|span|b|small|table|tr|td|th|script|a|img)[\s>]", text)]
    escapes = "html.escape(" in path.read_text(encoding="utf-8") and path.name not in PLOTLY_TEXT
    assert tags == []
    assert not escapes


@pytest.mark.parametrize("name", STYLESHEETS)
def test_every_stylesheet_fills_in_from_the_theme(name):
    css = templating.stylesheet(name)
    assert css.strip() and "{{" not in css and "}}" not in css


def test_the_templates_and_stylesheets_install_with_the_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = data["package-data"]["warroom.web"]
    files = [f"templates/{name}" for name in TEMPLATES] + [f"static/{name}" for name in STYLESHEETS]
    # Every package is found (warroom*), the web layer's included.
    assert data["packages"]["find"]["include"] == ["warroom*", "connectors*"]
    assert [name for name in files if not any(fnmatch.fnmatch(name, pattern) and name.count("/") == pattern.count("/") for pattern in patterns)] == []
