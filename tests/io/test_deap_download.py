"""Checks against a real DEAP download (licence-gated): run with
``EMOPIPE_DEAP_ROOT=/path/to/deap pytest -m data``."""

import os

import numpy as np
import pytest

from emopipe.io import DEAP

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def deap_root():
    root = os.environ.get("EMOPIPE_DEAP_ROOT")
    if not root:
        pytest.skip("EMOPIPE_DEAP_ROOT is not set")
    return root


def test_download_checks_clean(deap_root):
    problems = [p for p in DEAP.check(deap_root) if not p.startswith("info: ")]
    assert problems == []


def test_first_subject_matches_the_documented_layout(deap_root):
    rec = DEAP.read_subject(deap_root, "s01", source="preprocessed_python")
    eeg = rec.modalities["eeg"]
    assert np.shape(eeg.data) == (40, 32, 8064) and eeg.sfreq == 128.0
    assert rec.baseline == 3.0
    assert sorted(rec.trial_ids) == list(range(1, 41))
    for name in ("valence", "arousal", "dominance", "liking"):
        assert np.all((rec.labels[name] >= 1) & (rec.labels[name] <= 9))
    # EEG in volts after the microvolt conversion: tens of microvolts, not tens of volts
    assert 1e-7 < np.median(np.abs(eeg.data)) < 1e-3
