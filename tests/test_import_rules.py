"""The import rules of the layout, read from the source with `ast` (imports inside functions and TYPE_CHECKING blocks count).

- No module imports a private name (`_insert`) of another, but inside one package (`warroom/store/`):
  the store's interface is its public methods and names.
- No two modules of `warroom/` and `connectors/` import each other, directly or through others:
  a cycle fails the test, named module by module.
- `connectors/` never imports `pages/`, streamlit, plotly or PIL: a connector only writes to the store.
- `warroom/` never imports `connectors/`, except `warroom/runtime.py`, the one module that starts the
  ingest (the command line and the demo reach the connectors through it), and the web layer
  (`warroom/web/`), which may show what the connectors know. Data flows feeds → connectors → store →
  figures → web; the core below the runtime does not know the connectors exist.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("warroom", "connectors")
# The modules of the core that may import connectors/: the runtime starts the ingest.
MAY_IMPORT_CONNECTORS = ("warroom.runtime",)
WEB = "warroom.web"


def module_name(path: Path) -> str:
    """Return the dotted name of a source file under ROOT."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Return every module of the packages, by dotted name."""
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def imported_names(path: Path, name: str) -> set[str]:
    """Return every dotted name a module imports, anywhere in it: `from a.b import c` gives a.b and a.b.c."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def internal_edges() -> dict[str, set[str]]:
    """Return, for each module, the modules of the packages that it imports (a package's own `__init__` is not counted)."""
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for imported in imported_names(path, name):
            # `from warroom import schema` names a module; `from warroom.store import Store` names its module.
            while imported and imported not in known:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported not in PACKAGES:
                targets.add(imported)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle through each strongly connected group of modules (Tarjan), as the modules in import order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    found = []
    for group in groups:
        # Walk from the group's first module inside the group until a module repeats: that is a cycle.
        path, node = [], min(group)
        while node not in path:
            path.append(node)
            node = min(target for target in edges[node] if target in group)
        found.append([*path[path.index(node):], node])
    return found


def test_no_two_modules_import_each_other():
    found = cycles(internal_edges())
    assert not found, "import cycles: " + "; ".join(" → ".join(cycle) for cycle in found)


def test_the_cycle_finder_names_a_cycle_through_others():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


@pytest.mark.parametrize("name", sorted(name for name in modules() if name.startswith("connectors")))
def test_connectors_never_import_pages_or_drawing(name):
    path = modules()[name]
    forbidden = sorted(imported for imported in imported_names(path, name) if imported.split(".")[0] in ("pages", "streamlit", "plotly", "PIL"))
    assert not forbidden, f"{path.relative_to(ROOT)} imports {', '.join(forbidden)}"


def core_modules() -> list[str]:
    """Return the modules of the core that must not import connectors/: all of warroom/ but the runtime and the web layer."""
    return sorted(name for name in modules() if name.startswith("warroom") and name not in MAY_IMPORT_CONNECTORS and not (name == WEB or name.startswith(f"{WEB}.")))


@pytest.mark.parametrize("name", core_modules())
def test_the_core_never_imports_connectors(name):
    path = modules()[name]
    forbidden = sorted(imported for imported in imported_names(path, name) if imported.split(".")[0] == "connectors")
    assert not forbidden, f"{path.relative_to(ROOT)} imports {', '.join(forbidden)}"


def package_of(name: str) -> str:
    """Return the package a module belongs to (a package's `__init__` belongs to the package itself)."""
    return name if modules()[name].name == "__init__.py" else name.rpartition(".")[0]


def private_imports(path: Path, name: str) -> list[str]:
    """Return the names with a leading underscore that a module imports from a module of another package, or of a top-level package."""
    known = modules()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.ImportFrom) and node.module in known and node.module != name):
            continue
        # Inside one subpackage (warroom/store/) a private name is the package's own.
        if package_of(node.module) == package_of(name) not in PACKAGES:
            continue
        found.extend(f"{node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_"))
    return found


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_imports_a_private_name_of_another(name):
    # The store's interface is its public methods and names: a private helper used outside it is a leak.
    path = modules()[name]
    assert not private_imports(path, name), f"{path.relative_to(ROOT)} imports {', '.join(private_imports(path, name))}"
