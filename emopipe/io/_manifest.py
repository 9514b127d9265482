"""Dataset manifests: ``data_manifests/<name>.yaml`` (file lists, channels, rates, units).

Manifests describe a dataset as the authors ship it; they hold no data.
"""

from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "data_manifests"


def load_manifest(name):
    """Load the manifest of dataset ``name``.

    Parameters
    ----------
    name : str
        Dataset key, e.g. ``"deap"``; reads ``data_manifests/deap.yaml`` at the
        top of the project.

    Returns
    -------
    manifest : dict
        The parsed YAML (``yaml.safe_load``: no tag runs code).
    """
    import yaml

    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}.")
    path = MANIFEST_DIR / f"{name}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in MANIFEST_DIR.glob("*.yaml"))
        raise FileNotFoundError(
            f"No manifest for dataset {name!r} at {path}. Available manifests: "
            f"{', '.join(repr(a) for a in available) or 'none'}."
        )
    with open(path, encoding="utf-8") as fh:
        manifest = yaml.safe_load(fh)
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: expected a YAML mapping at the top level, got "
                         f"{type(manifest).__name__}.")
    return manifest
