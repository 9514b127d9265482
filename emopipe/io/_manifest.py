"""Dataset manifests: ``emopipe/io/manifests/<name>.yaml`` (file lists, channels, rates, units).

Manifests describe a dataset as the authors ship it; they hold no data. They
are package data, read through :mod:`importlib.resources`, so an installed
wheel reads them as a source checkout does.
"""

from importlib import resources

from ..utils._errors import ConfigTypeError, DataFileError
from ..utils.config import read_yaml

#: the folder holding the manifests inside the installed package (a Traversable)
MANIFEST_DIR = resources.files("emopipe.io").joinpath("manifests")


def load_manifest(name):
    """Load the manifest of dataset ``name``.

    Parameters
    ----------
    name : str
        Dataset key, e.g. ``"deap"``; reads ``manifests/deap.yaml`` of the
        :mod:`emopipe.io` package.

    Returns
    -------
    manifest : dict
        The parsed YAML (:func:`emopipe.utils.config.read_yaml`: no tag runs code).
    """
    if not isinstance(name, str) or not name:
        raise ConfigTypeError(f"name must be a non-empty str, got {name!r}.")
    path = MANIFEST_DIR.joinpath(f"{name}.yaml")
    if not path.is_file():
        available = sorted(p.name.removesuffix(".yaml") for p in MANIFEST_DIR.iterdir()
                           if p.name.endswith(".yaml")) if MANIFEST_DIR.is_dir() else []
        raise FileNotFoundError(
            f"No manifest for dataset {name!r} at {path}. Available manifests: "
            f"{', '.join(repr(a) for a in available) or 'none'}."
        )
    manifest = read_yaml(path)
    if not isinstance(manifest, dict):
        raise DataFileError(f"{path}: expected a YAML mapping at the top level, got "
                            f"{type(manifest).__name__}.")
    return manifest
