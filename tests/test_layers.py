"""The layers of ARCHITECTURE.md, checked on every import of every module (function-level
imports too: a cycle hidden inside a function is still a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "adminapp"

# Lowest first. A module may import its own package and any package of a lower layer.
LAYERS = [
    {"client"},  # the SDK: imports nothing of ours
    {"core"},
    {"authz"},
    {"audit"},
    {"accounts"},
    {"jobs"},
    {"spaces", "exports"},  # the domains: independent of each other
    {"catalog"},  # datasets live in spaces (and are purged with them)
    # bucket configs and repos (imports into and exports of the catalog's datasets); plugins
    # (their importers feed the catalog's import)
    {"storage", "plugins"},
    {"api"},
    {"web", "ops", "urls", "wsgi", "celery_app"},  # the top: wiring and the dashboard
]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}
# The dashboard reaches the API only through the embedded SDK client.
WEB_MAY_IMPORT = {"adminapp.client", "adminapp.web", "adminapp.api.inprocess"}


def _ours(node: ast.AST, module: str) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    else:
        return []
    return [n for n in names if n.startswith("adminapp.")]


def imports() -> list[tuple[str, str]]:
    """(importing module, imported module) for every import of ours in adminapp/."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            found.extend((module, name) for name in _ours(node, module))
    return found


def package(module: str) -> str:
    return module.split(".")[1]


def test_every_package_is_placed_in_a_layer():
    packages = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()}
    packages -= {"__init__", "__pycache__", "settings"}  # settings: read via django.conf
    assert packages == set(LAYER_OF)


def test_no_module_imports_a_higher_layer_or_a_sibling_domain():
    wrong = []
    for importer, imported in imports():
        if imported.split(".")[1] not in LAYER_OF:  # a name imported from adminapp itself
            continue
        mine, theirs = package(importer), package(imported)
        if mine == theirs:
            continue
        top = LAYER_OF[mine] == len(LAYERS) - 1
        if LAYER_OF[theirs] > LAYER_OF[mine] or (LAYER_OF[theirs] == LAYER_OF[mine] and not top):
            wrong.append(f"{importer} -> {imported}")
    assert wrong == []


def test_the_dashboard_imports_only_the_sdk_and_the_in_process_client():
    wrong = [
        f"{importer} -> {imported}"
        for importer, imported in imports()
        if package(importer) == "web"
        and not any(imported == ok or imported.startswith(ok + ".") for ok in WEB_MAY_IMPORT)
    ]
    assert wrong == []


def test_no_test_imports_another_test_packages_conftest():
    wrong = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.endswith("conftest")
            ):
                wrong.append(f"{path.relative_to(ROOT)} imports {node.module}")
    assert wrong == []


def test_no_two_modules_import_each_other_even_through_others():
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in PACKAGE.rglob("*.py")
    }
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for importer, imported in imports():
        importer = importer.removesuffix(".__init__")
        if imported in modules and imported != importer:
            graph[importer].add(imported)
    # A package's __init__ that re-exports its modules is not a cycle with them.
    for module, deps in graph.items():
        graph[module] = {d for d in deps if not module.startswith(d + ".")}

    cycles, done, stack = [], set(), []

    def visit(module: str) -> None:
        if module in stack:
            cycles.append(" -> ".join([*stack[stack.index(module) :], module]))
            return
        if module in done:
            return
        stack.append(module)
        for dep in sorted(graph[module]):
            visit(dep)
        stack.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert cycles == []
