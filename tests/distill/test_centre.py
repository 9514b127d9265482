"""Subject-centred teacher outputs (``teacher_centre='subject'`` / ``'subject_features'``,
emopipe.distill._centre)."""

import json

import numpy as np
import pytest

from emopipe.distill._centre import centre_by_group
from emopipe.distill.run_folder import _settings_hash
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.utils._errors import ConfigError

from test_controls import _control_cohort


def test_centre_by_group_removes_each_groups_mean_row():
    z = np.array([[1.0, 2.0], [3.0, 6.0], [10.0, -1.0], [14.0, 1.0], [0.5, 0.5]])
    g = np.array(["a", "a", "b", "b", "c"])
    out, offsets = centre_by_group(z, g)
    np.testing.assert_allclose(out, [[-1, -2], [1, 2], [-2, -1], [2, 1], [0, 0]])
    assert offsets == {"a": [2.0, 4.0], "b": [12.0, 0.0], "c": [0.5, 0.5]}
    with pytest.raises(ValueError, match=r"logits must be \(n_windows, n_outputs\) with one "
                                         r"group per row, got logits of shape \(5, 2\) and 4 "
                                         r"groups"):
        centre_by_group(z, g[:4])


def _config(method="hinton_kd", **kw):
    return DistillConfig(teacher="eeg", student="eog", method=method, protocol="loso",
                         target="arousal", seed=0, epochs=3, batch_size=32, lr=3e-3,
                         n_threads=1, max_folds=1, **kw)


def test_centred_run_distils_from_zero_mean_logits_per_training_subject(tmp_path):
    cohort, _ = _control_cohort(0, blind=False, n_sub=4, n_trials=6, n_win=5)
    res = run_distill(_config(teacher_centre="subject", out=str(tmp_path / "c"),
                              save_teacher_cache=True), cohort=cohort)
    ref = run_distill(_config(out=str(tmp_path / "r")), cohort=cohort)
    (fold,) = res.predictions
    cache = np.load(tmp_path / "c" / "teacher_cache" / f"{fold}.npz")
    subj = cohort.subject[cache["train_idx"]]
    record = json.loads((tmp_path / "c" / "predictions" / f"{fold}.json").read_text())
    offsets = record["teacher"]["centre"]["offsets"]
    assert sorted(offsets) == sorted(set(subj)) and fold not in offsets  # training subjects
    for s in np.unique(subj):
        rows = subj == s
        np.testing.assert_allclose(cache["logits_train"][rows].mean(0), 0.0, atol=1e-5)
        np.testing.assert_allclose(cache["logits_train_uncentred"][rows]
                                   - cache["logits_train"][rows], np.tile(offsets[s],
                                   (rows.sum(), 1)), atol=1e-5)
    assert np.abs(np.asarray(list(offsets.values()))).max() > 1e-3  # something was removed
    # the teacher and the no-KD baseline do not depend on the option; the KD student does
    for role in ("teacher", "baseline"):
        np.testing.assert_array_equal(res.predictions[fold][role], ref.predictions[fold][role])
    assert not np.array_equal(res.predictions[fold]["student"], ref.predictions[fold]["student"])


def test_teacher_centre_is_checked_and_hashed():
    with pytest.raises(ConfigError, match=r"teacher_centre='subject' cannot be used with method "
                                          r"'ekd': its teacher is updated during student "
                                          r"training \(feedback\)"):
        DistillConfig(teacher="eeg+gsr", student="gsr", method="ekd", teacher_centre="subject")
    with pytest.raises(ConfigError, match="teacher_centre"):
        DistillConfig(teacher="eeg", student="eog", method="hinton_kd", teacher_centre="trial")
    assert _settings_hash(_config(teacher_centre="subject")) != _settings_hash(_config())
    assert (_settings_hash(_config(teacher_centre="subject_features"))
            != _settings_hash(_config(teacher_centre="subject")))


def test_subject_features_centres_the_features_too_and_only_the_feature_student_moves(tmp_path):
    cohort, _ = _control_cohort(0, blind=False, n_sub=4, n_trials=6, n_win=5)
    fit = dict(method="fitnet", save_teacher_cache=True)
    res = run_distill(_config(teacher_centre="subject_features", out=str(tmp_path / "f"),
                              **fit), cohort=cohort)
    logit = run_distill(_config(teacher_centre="subject", out=str(tmp_path / "l"), **fit),
                        cohort=cohort)
    (fold,) = res.predictions
    cache = np.load(tmp_path / "f" / "teacher_cache" / f"{fold}.npz")
    subj = cohort.subject[cache["train_idx"]]
    record = json.loads((tmp_path / "f" / "predictions" / f"{fold}.json").read_text())
    norms = record["teacher"]["centre"]["feature_offset_norms"]
    assert record["teacher"]["centre"]["features"] is True and sorted(norms) == sorted(set(subj))
    for s in np.unique(subj):
        rows = subj == s
        np.testing.assert_allclose(cache["feat_train"][rows].mean(0), 0.0, atol=1e-5)
        np.testing.assert_allclose(cache["logits_train"][rows].mean(0), 0.0, atol=1e-5)
        removed = (cache["feat_train_uncentred"][rows] - cache["feat_train"][rows]).mean(0)
        assert np.linalg.norm(removed) == pytest.approx(norms[s], abs=1e-4)
    assert min(norms.values()) > 1e-3  # something was removed
    # fitnet distils the features only: centring the logits alone leaves its student as is,
    # centring the features moves it; the teacher and the baseline never move
    plain = run_distill(_config(out=str(tmp_path / "p"), **fit), cohort=cohort)
    np.testing.assert_array_equal(logit.predictions[fold]["student"],
                                  plain.predictions[fold]["student"])
    assert not np.array_equal(res.predictions[fold]["student"],
                              plain.predictions[fold]["student"])
    for role in ("teacher", "baseline"):
        np.testing.assert_array_equal(res.predictions[fold][role], plain.predictions[fold][role])
