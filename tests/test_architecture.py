"""The rules of the house, read from the source (AST): imports go one way, SQL stays in `db/`, modules stay small.

docs/architecture.md explains them; each failure names the file and the line to change.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("forms_backend", "generator")
MAX_LINES = 400
# What `forms_backend/db/` may import from the project: itself and the pure shared modules.
DB_MAY_IMPORT = (
    "forms_backend.db",
    "forms_backend.errors",
    "forms_backend.clock",
    "forms_backend.vocabulary",
)
# The features of the backend, one folder each, and the layers below them that must not import them.
FEATURES = ("public", "accounts", "coordination", "cli")
SHARED = ("settings", "errors", "clock", "vocabulary", "services", "mail", "web", "db")
SQL = re.compile(
    r"\b(SELECT\s|INSERT\s+INTO|UPDATE\s+\[?\w+\]?\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|TRIGGER)|"
    r"DROP\s+(TABLE|INDEX|TRIGGER)|ALTER\s+TABLE|PRAGMA\s)"
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> list[Path]:
    return sorted(
        p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts
    )


MODULES = {module_name(p): p for p in project_files()}


@dataclass(frozen=True)
class Import:
    """One import of a project module: where it is, what it names, whether it runs inside a function."""

    path: Path
    line: int
    target: str
    in_function: bool
    commented: bool

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    for alias in node.names:
        # `from package import module` imports the module; `from module import name` the module itself.
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def imports_of(path: Path) -> list[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import | ast.ImportFrom):
                line = lines[child.lineno - 1]
                above = lines[child.lineno - 2] if child.lineno > 1 else ""
                commented = "#" in line or above.strip().startswith("#")
                for target in _targets(child):
                    if target.split(".")[0] in PACKAGES:
                        found.append(Import(path, child.lineno, target, in_function, commented))
            visit(child, inside)

    visit(ast.parse(source), False)
    return found


IMPORTS = {name: imports_of(path) for name, path in MODULES.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan): each is an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            connect(name)
    return cycles


def test_architecture_has_no_import_cycle_counting_imports_inside_functions() -> None:
    graph = {
        name: {i.target for i in found if i.target in MODULES and i.target != name}
        for name, found in IMPORTS.items()
    }
    shown = [
        " → ".join(c) + " : " + ", ".join(i.where() for m in c for i in IMPORTS[m] if i.target in c)
        for c in find_cycles(graph)
    ]
    assert shown == []


def test_architecture_imports_inside_functions_say_why() -> None:
    silent = [
        f"{i.where()} import de {i.target} dans une fonction sans commentaire"
        for found in IMPORTS.values()
        for i in found
        if i.in_function and not i.commented
    ]
    assert silent == []


def test_architecture_db_imports_no_web_code_no_feature_and_no_starlette() -> None:
    wrong = []
    for name, path in MODULES.items():
        if not name.startswith("forms_backend.db"):
            continue
        for i in IMPORTS[name]:
            if not i.target.startswith(DB_MAY_IMPORT):
                wrong.append(f"{i.where()} {i.target}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                wrong += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {n}"
                    for n in names
                    if n.split(".")[0] == "starlette"
                ]
    assert wrong == []


def test_architecture_shared_layers_import_no_feature() -> None:
    wrong = []
    for name in MODULES:
        parts = name.split(".")
        if parts[0] != "forms_backend" or len(parts) < 2 or parts[1] not in SHARED:
            continue
        for i in IMPORTS[name]:
            target = i.target.split(".")
            if target[0] == "forms_backend" and len(target) > 1 and target[1] in (*FEATURES, "app"):
                wrong.append(f"{i.where()} {i.target}")
    assert wrong == []


def test_architecture_only_app_cli_and_asgi_import_app() -> None:
    importers = sorted(
        {name for name, found in IMPORTS.items() for i in found if i.target == "forms_backend.app"}
    )
    assert [n for n in importers if not n.startswith(("forms_backend.cli", "forms_backend.asgi"))] == []


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def sql_literals(path: Path) -> list[str]:
    """`file:line` of every string literal holding SQL (docstrings left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value[:60]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and SQL.search(node.value)
    ]


def test_architecture_sql_only_under_db() -> None:
    found = [
        hit
        for name, path in MODULES.items()
        if not name.startswith("forms_backend.db")
        for hit in sql_literals(path)
    ]
    assert found == []


@pytest.mark.parametrize("path", project_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_architecture_module_has_at_most_400_lines(path: Path) -> None:
    count = len(path.read_text(encoding="utf-8").splitlines())
    assert count <= MAX_LINES, f"{path.relative_to(ROOT)} : {count} lignes (au plus {MAX_LINES})"


def test_architecture_code_cites_files_that_exist() -> None:
    cited = re.compile(r"\b(docs/[\w./-]+\.md|DOMAIN\.md)")
    missing = []
    for path in [*project_files(), *(ROOT / "tests").rglob("*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in cited.finditer(line):
                if path.name != "test_architecture.py" and not (ROOT / match.group(1)).is_file():
                    missing.append(f"{path.relative_to(ROOT)}:{number} {match.group(1)}")
    assert missing == []


def test_architecture_checker_finds_a_cycle_a_silent_import_and_sql(tmp_path: Path) -> None:
    """The rules above can fail: a cycle, a function-level import without a reason and SQL are found."""
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    sample = ROOT / "tests" / "_architecture_sample.py"
    sample.write_text(
        'def f():\n    from forms_backend import clock\n    return clock, "DELETE FROM audit WHERE id = 1"\n',
        encoding="utf-8",
    )
    try:
        (found,) = imports_of(sample)
        assert (found.target, found.line, found.in_function, found.commented) == (
            "forms_backend.clock",
            2,
            True,
            False,
        )
        assert sql_literals(sample) == ["tests/_architecture_sample.py:3 'DELETE FROM audit WHERE id = 1'"]
    finally:
        sample.unlink()
    assert not SQL.search("Rows come from one select on a read-only connection")
