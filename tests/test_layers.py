"""Imports point one way down the layer stack, without circles (style.md section 1)."""

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "emopipe"
ORDER = ["utils", "io", "features", "cache", "models", "distill", "analysis", "cli"]
TORCH_OK = {"models", "distill", "analysis", "cli"}
MPL_OK = {"analysis", "cli"}


def _layer(path):
    rel = path.relative_to(PKG).parts
    if rel[0] in ("__init__.py", "_version.py"):
        return "utils"
    if len(rel) == 1:  # cli.py, demo.py, __main__.py: the top (cli) layer
        return "cli"
    return rel[0].removesuffix(".py")


def _imported(path, node):
    """Yield absolute dotted module names imported by ``node``."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            # the package holding this module (a module's own __init__ included)
            base = list(path.relative_to(PKG.parent).with_suffix("").parts)[:-1]
            if node.level > 1:
                base = base[: len(base) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
            yield mod
            if not node.module:
                for alias in node.names:
                    yield mod + "." + alias.name
        else:
            yield node.module or ""


def _violations():
    out = []
    for path in sorted(PKG.rglob("*.py")):
        layer = _layer(path)
        rank = ORDER.index(layer)
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for mod in _imported(path, node):
                parts = mod.split(".")
                where = f"{path.relative_to(PKG)}:{node.lineno}"
                if parts[0] == "emopipe" and len(parts) > 1:
                    target = parts[1]
                    if target in ORDER and ORDER.index(target) > rank:
                        out.append(f"{where} imports {target}")
                if parts[0] == "torch" and layer not in TORCH_OK:
                    out.append(f"{where} imports torch")
                if parts[0] == "matplotlib" and layer not in MPL_OK:
                    out.append(f"{where} imports matplotlib")
    return out


def _module_name(path):
    """Dotted name of a module file (a package's ``__init__.py`` is the package)."""
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph():
    """Module name -> set of emopipe modules it imports, anywhere in the file.

    Imports inside functions count. ``from pkg import name`` points at the
    module ``pkg.name`` when that is a module, else at ``pkg`` itself; the
    implicit import of a module's parent packages is not an edge (Python
    runs a package's ``__init__`` before its submodules without a circle).
    """
    files = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = next(_imported(path, node))
                subs = [base + "." + alias.name for alias in node.names]
                # `from pkg import a, b`: the submodules a and b, or pkg for a plain name
                mods = [m for m in subs if m in files]
                if len(mods) < len(subs):
                    mods.append(base)
            else:
                continue
            for mod in mods:
                while mod and mod not in files:  # a name inside a module: that module
                    mod = mod.rpartition(".")[0]
                if mod and mod != name:
                    targets.add(mod)
        graph[name] = targets
    return graph, files


def _circles():
    """Import circles, each the shortest one through its first module, as file paths."""
    graph, files = _import_graph()
    out = []
    done = set()
    for start in sorted(graph):
        if start in done:
            continue
        # breadth-first search for the shortest way back to start
        prev = {start: None}
        queue = [start]
        found = None
        while queue and found is None:
            nxt = []
            for node in queue:
                for t in sorted(graph[node]):
                    if t == start:
                        found = node
                        break
                    if t not in prev:
                        prev[t] = node
                        nxt.append(t)
                if found is not None:
                    break
            queue = nxt
        if found is None:
            continue
        cycle = [start]
        node = found
        while node != start:
            cycle.append(node)
            node = prev[node]
        cycle = [start] + cycle[1:][::-1] + [start]
        done.update(cycle)
        rel = [str(files[m].relative_to(PKG)) for m in cycle]
        out.append(" -> ".join(rel))
    return out


def test_imports_point_down_the_stack():
    assert _violations() == []


def test_no_import_circles():
    assert _circles() == []


def test_checker_catches_an_import_circle(tmp_path, monkeypatch):
    fake = tmp_path / "emopipe"
    (fake / "features").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "features" / "__init__.py").write_text("from .a import f\n")
    (fake / "features" / "a.py").write_text("from . import b\n\ndef f():\n    pass\n")
    # the way back hides in a function body, as lazy imports do
    (fake / "features" / "b.py").write_text("def g():\n    from . import a\n    return a\n")
    (fake / "features" / "c.py").write_text("from .b import g\nfrom ..features import a\n")
    monkeypatch.setattr(sys.modules[__name__], "PKG", fake)
    assert _circles() == ["features/a.py -> features/b.py -> features/a.py"]
    (fake / "features" / "d.py").write_text("import emopipe.features.e\n")
    (fake / "features" / "e.py").write_text("from emopipe.features.d import x\n")
    assert _circles() == ["features/a.py -> features/b.py -> features/a.py",
                          "features/d.py -> features/e.py -> features/d.py"]


def test_checker_catches_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "emopipe"
    (fake / "features").mkdir(parents=True)
    (fake / "features" / "bad.py").write_text("from ..distill import x\nimport torch\n")
    monkeypatch.setattr(sys.modules[__name__], "PKG", fake)
    assert _violations() == ["features/bad.py:1 imports distill", "features/bad.py:2 imports torch"]


def test_cli_import_is_light():
    code = (
        "import sys, emopipe.cli\n"
        "heavy = [m for m in ('torch', 'mne', 'h5py', 'matplotlib') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == ""
