"""The house is one-way (DESIGN, Layout): every module imports only its own layer or the layers below it, and no
modules import each other in a circle. The imports are read from the source (inside functions too), so a lazy
import that runs back up counts like any other."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# bottom to top, in DESIGN's terms; tests, tools and bench stand outside the order
LAYERS = ['config', 'db', 'domain', 'permissions', 'mail', 'gateway', 'workflows', 'api', 'components', 'pages',
          'main']
# the modules at the top of the tree that are no package of their own, and where they stand
PLACES = {'config': 'config', 'logs': 'config', 'background': 'config', 'permissions': 'permissions', 'hardening': 'api',
          'session': 'api', 'listeners': 'main', 'main': 'main'}
OUTSIDE = {'tests', 'tools', 'bench'}


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the portal by its dotted name (tests, tools and bench aside)."""
    found = {}
    for path in root.rglob('*.py'):
        parts = path.relative_to(root).with_suffix('').parts
        if parts[0] in OUTSIDE or parts[0].startswith('.') or 'node_modules' in parts:
            continue
        name = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
        found[name] = path
    return found


def layer_of(module: str) -> str:
    top = module.split('.')[0]
    layer = PLACES.get(top, top)
    if layer not in LAYERS:
        raise AssertionError(f'{module} has no place in the layer order: add it to PLACES or to a package')
    return layer


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The portal modules `module` imports, at the top or inside a function."""
    package = module.split('.') if path.name == '__init__.py' else module.split('.')[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = '.'.join(package[:len(package) - node.level + 1] + [node.module or ''] if node.level
                            else [node.module or ''])
            base = base.strip('.')
            # `from package import module` imports the module; `from module import name`, the module
            names = [f'{base}.{alias.name}' if f'{base}.{alias.name}' in known else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition('.')[0]
            if name and name != module:
                found.add(name)
    return found


def graph(found: dict[str, Path]) -> dict[str, set[str]]:
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Every import of a higher layer, as 'a (layer) imports b (layer)'."""
    found = []
    for module, targets in sorted(edges.items()):
        for target in sorted(targets):
            if LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(module)):
                found.append(f'{module} ({layer_of(module)}) imports {target} ({layer_of(target)})')
    return found


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other round in a circle (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


@pytest.fixture(scope='module')
def edges() -> dict[str, set[str]]:
    return graph(modules())


def test_every_module_has_a_place_in_the_order(edges) -> None:
    assert len(edges) > 80  # the whole portal was read, not an empty folder
    for module in edges:
        layer_of(module)


def test_no_module_imports_a_higher_layer(edges) -> None:
    assert upward(edges) == []


def test_no_modules_import_each_other_in_a_circle(edges) -> None:
    assert circles(edges) == []


def test_the_check_fails_on_an_import_that_runs_up_or_round(tmp_path) -> None:
    """The same reading, on a tree made for it: a lower module's lazy import of a higher one, and a circle."""
    for name, text in {'db/__init__.py': '', 'db/models.py': 'def f():\n    from workflows import access\n',
                       'workflows/__init__.py': '', 'workflows/access.py': 'from workflows import apps\n',
                       'workflows/apps.py': 'from . import access\nfrom db.models import f\n'}.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    made = graph(modules(tmp_path))
    assert upward(made) == ['db.models (db) imports workflows.access (workflows)']
    assert circles(made) == [['db.models', 'workflows.access', 'workflows.apps']]


def test_errors_and_events_import_nothing_above_the_database() -> None:
    for path in (ROOT / 'domain').glob('*.py'):
        for line in path.read_text().splitlines():
            match = re.match(r'\s*(?:from|import) (\w+)', line)
            if match and match[1] in LAYERS:
                # their own layer (errors read i18n) or the database
                assert LAYERS.index(match[1]) <= LAYERS.index('domain'), f'{path.name}: {line.strip()}'


def test_no_workflow_imports_a_listener(edges) -> None:
    """The audit trail and the webhook events react to announced events; only listeners.py wires them."""
    for module, targets in edges.items():
        if module.startswith('workflows.'):
            assert not targets & {'workflows.audit', 'workflows.webhook_events', 'listeners'}, module
