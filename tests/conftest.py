import os

import numpy as np
import pytest

os.environ.setdefault("EMOPIPE_TQDM", "off")
os.environ.setdefault("MPLBACKEND", "Agg")

REAL_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "real")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def real_data_dir():
    path = os.path.abspath(REAL_DATA)
    if not os.path.isdir(path):
        pytest.skip(f"real recordings not found at {path}")
    return path
