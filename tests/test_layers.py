"""Imports point one way down the layer stack (style.md section 1)."""

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


def test_imports_point_down_the_stack():
    assert _violations() == []


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
