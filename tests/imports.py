"""What a Python file imports, read from its source (for the tests of the house's shape)."""

from __future__ import annotations

import ast


def imported_modules(source: str) -> set[str]:
    """Return the top-level names of every module Python source imports: at the top, inside a function, or by importlib."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and ast.unparse(node.func) in ("importlib.import_module", "__import__") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value.split(".")[0])
    return found
