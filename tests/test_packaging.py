"""emopipe installed from its wheel works outside the checkout (manifests are package data).

The wheel is built from this checkout and installed, without its dependencies,
into a fresh virtual environment in a temporary folder; the environment borrows
the dependencies (numpy, mne, ...) of the running interpreter through a ``.pth``
file, but not emopipe itself. ``emopipe synth``, ``check`` and ``extract`` then
run from a folder outside the checkout, so nothing can be read from the source
tree.
"""

import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    try:
        import setuptools  # noqa: F401  (build without fetching a build backend)

        isolation = ["--no-build-isolation"]
    except ImportError:  # pragma: no cover
        isolation = []
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out),
          *isolation])
    (whl,) = out.glob("emopipe-*.whl")
    return whl


def test_wheel_holds_the_manifests(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "emopipe/io/manifests/deap.yaml" in names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_checks_and_extracts_a_cohort(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    py = env_dir / "bin" / "python"
    purelib = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                        ).stdout.strip())
    # the running interpreter's dependencies, not its emopipe (an editable finder is a .pth
    # file, which a path listed in another .pth does not run)
    deps = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (purelib / "_emopipe_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(purelib),
          str(wheel)])
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    where = _run([str(py), "-c", "import emopipe; print(emopipe.__file__)"], cwd=work, env=env)
    assert Path(where.stdout.strip()).is_relative_to(purelib)
    cli = [str(py), "-m", "emopipe"]
    _run(cli + ["synth", "--dataset", "deap", "--out", "deap", "--subjects", "2", "--trials", "4",
                "--no-raw"], cwd=work, env=env)
    check = _run(cli + ["check", "--dataset", "deap", "--root", "deap"], cwd=work, env=env)
    # the manifest was read from the installed package: it knows DEAP's 32 subjects
    assert "30 of 32 subjects in the manifest are absent" in check.stdout
    assert "every file present is readable and well-formed" in check.stdout
    _run(cli + ["extract", "--dataset", "deap", "--root", "deap", "--cache", "cache",
                "--n-jobs", "1"], cwd=work, env=env)
    assert sorted(p.name for p in (work / "cache").glob("*.h5")) == ["s01.h5", "s23.h5"]
