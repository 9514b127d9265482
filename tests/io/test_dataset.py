"""Dataset facts live on the dataset class; generic config and extraction read them."""

import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from emopipe.features.extract import ExtractConfig, extract_subject, resolved_config
from emopipe.io import DATASETS, DEAP, load_manifest
from emopipe.io._dataset import Dataset
from emopipe.io._types import Modality, SubjectRecording
from emopipe.utils.config import config_hash


class _ClassLabels(Dataset):
    """A SEED-like dataset: 200 Hz, labels already classes (-1/0/1), never thresholded."""

    name = "class_labels"
    sfreq = 200.0
    sources = ("auto", "npz")
    label_names = ("emotion",)


class _FivePoint(Dataset):
    """A DREAMER-like dataset: ratings on 1-5, split at 3."""

    name = "five_point"
    sfreq = 128.0
    sources = ("auto",)
    label_names = ("valence",)
    label_scale = (1.0, 5.0)
    default_threshold = 3.0


@pytest.fixture
def toy_datasets(monkeypatch):
    for cls in (_ClassLabels, _FivePoint):
        monkeypatch.setitem(DATASETS._items, cls.name, cls)


def _recording(dataset, labels, sfreq):
    n = len(labels)
    rng = np.random.default_rng(0)
    eeg = Modality(rng.standard_normal((n, 2, int(4 * sfreq))) * 1e-5, sfreq, ["F3", "F4"], "V")
    return SubjectRecording(dataset=dataset, subject="s01", modalities={"eeg": eeg},
                            labels={"label": np.asarray(labels, float)},
                            trial_ids=np.arange(1, n + 1), baseline=1.0)


def test_deap_declares_its_facts_and_they_match_the_manifest():
    m = load_manifest("deap")
    assert DEAP.sfreq == m["preprocessed"]["sfreq"] == 128.0
    assert DEAP.label_names == tuple(m["labels"])
    assert DEAP.label_scale == tuple(m["label_range"]) == (1.0, 9.0)
    assert DEAP.default_threshold == m["binarize_threshold"] == 5.0
    assert DEAP.sources == ("auto", "preprocessed_python", "preprocessed_matlab", "raw")
    assert set(DEAP.sources[1:]) <= set(m["files"])


def test_deap_binarises_ratings_1_to_9_at_5():
    ratings = np.arange(1.0, 10.0)  # 1, 2, ..., 9
    # by hand: 1-5 are low (5 itself is the midpoint, class 0), 6-9 high
    assert_array_equal(DEAP.label_classes(ratings), [0, 0, 0, 0, 0, 1, 1, 1, 1])
    assert_array_equal(DEAP.label_classes([5.0, 5.01, 4.99]), [0, 1, 0])
    assert_array_equal(DEAP.label_classes(ratings, 7.0), [0, 0, 0, 0, 0, 0, 0, 1, 1])
    assert DEAP.label_classes(ratings).dtype == np.int64


def test_base_class_keeps_classes_and_refuses_ratings_without_threshold():
    assert_array_equal(_ClassLabels.label_classes([-1.0, 0.0, 1.0]), [-1, 0, 1])
    with pytest.raises(ValueError, match=r"class_labels labels are classes .* got non-integer "
                                         r"values such as 0\.5\. Pass label_threshold"):
        _ClassLabels.label_classes([0.5, 1.0])
    assert_array_equal(_FivePoint.label_classes([1, 3, 3.5, 5]), [0, 0, 1, 1])
    with pytest.raises(TypeError, match="threshold must be an instance of"):
        DEAP.label_classes([1.0], "five")


def test_extract_config_resolves_none_to_the_dataset_before_hashing():
    cfg = ExtractConfig(dataset="deap")
    assert (cfg.sfreq, cfg.label_threshold) == (128.0, 5.0)
    explicit = ExtractConfig(dataset="deap", sfreq=128.0, label_threshold=5.0)
    assert config_hash(resolved_config(cfg, "/x")) == config_hash(resolved_config(explicit, "/x"))
    with pytest.raises(ValueError, match=r"'source' parameter\. Allowed values are 'auto', "
                                         r"'preprocessed_python', 'preprocessed_matlab', 'raw'"):
        ExtractConfig(dataset="deap", source="npz")
    with pytest.raises(KeyError, match=r"Dataset 'deep' not found\. .*Did you mean 'deap'\?"):
        ExtractConfig(dataset="deep")
    with pytest.raises(TypeError, match=r"label_threshold must be a number or None, got str"):
        ExtractConfig(dataset="deap", label_threshold="five")


def test_other_datasets_need_no_change_to_generic_code(toy_datasets):
    cfg = ExtractConfig(dataset="class_labels", source="npz", bands={"alpha": (8.0, 13.0)},
                        modalities=("eeg",))
    assert cfg.sfreq == 200.0 and cfg.label_threshold is None
    with pytest.raises(ValueError, match=r"'source' parameter\. Allowed values are 'auto', 'npz'"):
        ExtractConfig(dataset="class_labels", source="raw")
    _, labels, _, _ = extract_subject(_recording("class_labels", [-1, 0, 1], 200.0), cfg)
    per_trial = labels["label_class"].reshape(3, -1)[:, 0]
    assert_array_equal(per_trial, [-1, 0, 1]) and labels["label_class"].dtype == np.int64

    cfg = ExtractConfig(dataset="five_point", bands={"alpha": (8.0, 13.0)}, modalities=("eeg",))
    assert cfg.label_threshold == 3.0
    _, labels, _, _ = extract_subject(_recording("five_point", [1, 3, 4, 5], 128.0), cfg)
    assert_array_equal(labels["label_class"].reshape(4, -1)[:, 0], [0, 0, 1, 1])


def test_extract_config_names_the_missing_dataset_and_fills_its_modalities():
    from emopipe.features.extract import ExtractConfig
    from emopipe.io import DATASETS

    names = ", ".join(repr(n) for n in DATASETS.names())  # every registered one, sorted
    with pytest.raises(ValueError, match=re.escape(
            f"ExtractConfig needs a dataset: set 'dataset' to one of {names} (in YAML")):
        ExtractConfig()
    cfg = ExtractConfig(dataset="deap")
    assert cfg.modalities == DATASETS.get("deap").default_modalities == ("eeg", "eog", "gsr")
    assert ExtractConfig(dataset="deap", modalities="eeg").modalities == ("eeg",)


def test_session_trials_numbers_clips_uniquely_across_sessions():
    from emopipe.io._dataset import _session_trials

    ids, ses = _session_trials([1, 3], 4)
    np.testing.assert_array_equal(ids, [1, 2, 3, 4, 9, 10, 11, 12])
    np.testing.assert_array_equal(ses, [1, 1, 1, 1, 3, 3, 3, 3])
    assert ids.dtype == np.int64 and ses.dtype == np.int64
