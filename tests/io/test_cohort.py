"""The cohort model and its scenarios: formulas exact, planted strengths recovered from the files.

Recovery tests read the WRITTEN files through emopipe's reader
(``read_deap_preprocessed``) and detectors (``detect_blinks``,
``detect_scrs``) and compare against the latent in ``ground_truth.json``.
Tolerances come from the sample size: with ``n`` trials the Fisher z of a
correlation has SD ``1 / sqrt(n - 3)``; we allow 3 SD.
"""

import hashlib
import json

import numpy as np
import pytest
from scipy.signal import welch
from scipy.stats import norm

from emopipe.cli import build_parser, main
from emopipe.features.eog import detect_blinks
from emopipe.features.gsr import detect_scrs
from emopipe.io.deap import read_deap_preprocessed
from emopipe.io.synth._cohort import (
    SCENARIOS,
    discrete_emotion,
    draw_subject,
    get_scenario,
    latent_trajectory,
    self_reports,
    strength,
)
from emopipe.io.synth.deap import write_deap_synth

N_SUB, N_TRIALS = 4, 40  # 160 trials per scenario: 3 SD of Fisher z = 0.24
Z_TOL = 3.0 / np.sqrt(N_SUB * N_TRIALS - 3)


def test_self_reports_formula_clip_and_rounding():
    latent = np.array([[5.0, 9.0], [1.0, 7.0]])
    r = self_reports(latent, scale=np.array([0.5, 1.2]), bias=np.array([1.0, -0.5]),
                     noise=np.array([[0.123, 0.0], [-0.004, 0.3333]]))
    # 5 + s (x - 5) + b + e, clipped to 1-9, 2 decimals
    np.testing.assert_array_equal(r, [[6.12, 9.0], [4.0, 7.23]])
    low = self_reports(np.array([[2.0]]), scale=[1.0], bias=[-5.0], noise=np.zeros((1, 1)))
    assert low[0, 0] == 1.0


def test_legacy_draw_is_the_old_uniform_ratings_and_noisy_draw_follows_the_formula():
    legacy = draw_subject(np.random.default_rng(3), np.random.default_rng(4), SCENARIOS["legacy"],
                          5)
    expected = np.random.default_rng(3).uniform(1.0, 9.0, (5, 4)).round(2)
    np.testing.assert_array_equal(legacy.latent, expected)
    np.testing.assert_array_equal(legacy.reports, expected)
    assert legacy.gains == {"eeg": 1.0, "eog": 1.0, "gsr": 1.0}
    sc = SCENARIOS["kd"]
    d = draw_subject(np.random.default_rng(3), np.random.default_rng(4), sc, 5)
    np.testing.assert_array_equal(d.latent, np.random.default_rng(3).uniform(1.0, 9.0, (5, 4)))
    rr = np.random.default_rng(4)
    scale = rr.uniform(0.7, 1.3, 4)
    bias = rr.normal(0.0, 0.75, 4)
    noise = rr.normal(0.0, 1.5, (5, 4))
    np.testing.assert_allclose(d.report_scale, scale)
    np.testing.assert_array_equal(
        d.reports, np.clip(5.0 + scale * (d.latent - 5.0) + bias + noise, 1.0, 9.0).round(2))
    assert set(d.gains) == {"eeg", "eog", "gsr"}
    assert all(0.75 <= g <= 1.25 for g in d.gains.values())


def test_scenarios_are_frozen_and_unknown_names_are_named():
    assert sorted(SCENARIOS) == ["blind", "blind_strong", "equal", "kd", "kd_noisy",
                                 "kd_strong", "legacy"]
    assert SCENARIOS["blind"].blink == SCENARIOS["blind"].saccade == SCENARIOS["blind"].scr == 0
    assert SCENARIOS["kd"].beta_gamma > SCENARIOS["equal"].beta_gamma > 0
    with pytest.raises(AttributeError):
        SCENARIOS["kd"].blink = 9.0
    with pytest.raises(KeyError, match=r"Unknown cohort scenario 'kk'; the scenarios are "
                                       r"'legacy', 'kd', 'blind', 'kd_noisy', 'kd_strong', "
                                       r"'blind_strong', 'equal'"):
        get_scenario("kk")
    # the CLI offers exactly these scenarios
    sub = build_parser()._subparsers._group_actions[0].choices["synth"]
    choice = [a for a in sub._actions if a.dest == "scenario"][0]
    assert sorted(choice.choices) == sorted(SCENARIOS) and choice.default == "legacy"


def test_latent_trajectory_is_an_ou_process_at_the_rate():
    rate, tau, sd = 2.0, 5.0, 0.5
    x = latent_trajectory(np.random.default_rng(0), 5.0, 200000, rate=rate, tau=tau, sd=sd)
    a = np.exp(-1.0 / (rate * tau))
    d = x - 5.0
    # lag-1 autocorrelation a (SE ~ 1/sqrt(n) * sqrt(1 - a^2)); stationary SD sd
    assert np.corrcoef(d[1:], d[:-1])[0, 1] == pytest.approx(a, abs=0.005)
    assert d.std() == pytest.approx(sd, rel=0.05)
    clipped = latent_trajectory(np.random.default_rng(0), 8.9, 1000, rate=rate, sd=1.0, lo=1, hi=9)
    assert clipped.max() == 9.0


def test_discrete_emotion_classes():
    v, a = np.array([2.0, 5.5, 8.0, 8.0]), np.array([8.0, 2.0, 2.0, 8.0])
    np.testing.assert_array_equal(discrete_emotion(v, a, classes=3), [0, 1, 2, 2])
    np.testing.assert_array_equal(discrete_emotion(v, a, classes=4), [1, 2, 2, 3])
    with pytest.raises(ValueError, match="classes must be 3 or 4, got 5"):
        discrete_emotion(v, a, classes=5)


def test_legacy_default_is_byte_for_byte_the_writer_before_the_cohort_model(tmp_path):
    # sha256 of the files written by write_deap_synth at commit 24e983e (before _cohort.py)
    write_deap_synth(tmp_path, n_subjects=2, n_trials=3, seed=4, raw=False)
    digest = {p: hashlib.sha256((tmp_path / p).read_bytes()).hexdigest()[:16] for p in (
        "data_preprocessed_python/s01.dat", "data_preprocessed_python/s23.dat",
        "metadata_csv/participant_ratings.csv")}
    assert digest == {"data_preprocessed_python/s01.dat": "3da4c2b7f838e843",
                      "data_preprocessed_python/s23.dat": "a6e351344a370732",
                      "metadata_csv/participant_ratings.csv": "fa25b12134dbcfac"}


_COHORTS = {}


def _cohort(tmp_path_factory, scenario):
    if scenario not in _COHORTS:
        root = tmp_path_factory.mktemp(f"cohort_{scenario}")
        truth = write_deap_synth(root, n_subjects=N_SUB, n_trials=N_TRIALS, seed=2, raw=False,
                                 scenario=scenario)
        _COHORTS[scenario] = (root, truth)
    return _COHORTS[scenario]


def _measure(root, truth):
    """Per trial, from the written files: ln beta/gamma power, blink and SCR counts, labels."""
    out = {k: [] for k in ("beta_gamma", "blinks", "scrs", "arousal_label", "latent",
                           "subject")}
    for subject, sub in truth["subjects"].items():
        rec = read_deap_preprocessed(root / "data_preprocessed_python" / f"{subject}.dat")
        eeg = rec.modalities["eeg"]
        chans = [eeg.ch_names.index(c) for c in ("C3", "C4", "Cz", "T7", "T8")]
        f, pxx = welch(eeg.data[:, chans, 384:], fs=128.0, nperseg=256, axis=-1)
        band = (f >= 14.0) & (f < 45.0)
        out["beta_gamma"].extend(np.log(pxx[..., band].sum(-1)).mean(-1))
        veog = rec.modalities["eog"].data[:, 1, 384:]
        gsr = 1.0 / rec.modalities["gsr"].data[:, 0, 384:]  # ohm -> S
        for i in range(veog.shape[0]):
            out["blinks"].append(len(detect_blinks(veog[i], 128.0)))
            out["scrs"].append(len(detect_scrs(gsr[i], 128.0, amplitude_min=0.03e-6)))
        out["arousal_label"].extend(rec.labels["arousal"])
        out["latent"].extend(t["latent"]["arousal"] for t in sub["trials"])
        out["subject"].extend([subject] * veog.shape[0])
    return {k: np.asarray(v) for k, v in out.items()}


def _within(x, subject):
    x = np.asarray(x, float).copy()
    for s in np.unique(subject):
        x[subject == s] -= x[subject == s].mean()
    return x


@pytest.mark.parametrize("scenario", ["kd", "equal"])
def test_planted_strengths_recovered_from_the_written_files(tmp_path_factory, scenario):
    root, truth = _cohort(tmp_path_factory, scenario)
    m = _measure(root, truth)
    lat = _within(m["latent"], m["subject"])
    planted = truth["strengths"]["within_subject"]
    # the ground truth's numbers are the correlations of its own per-trial values
    trials = [t for s in truth["subjects"].values() for t in s["trials"]]
    sub = np.repeat(list(truth["subjects"]), N_TRIALS)
    assert planted["eog_blink_count~arousal"] == pytest.approx(strength(
        _within([len(t["blinks"]) for t in trials], sub), lat), abs=1e-4)
    # measured from the files, within 3 SD (Fisher z) of the planted correlation
    for key, name in (("beta_gamma", "eeg_beta_gamma~arousal"),
                      ("blinks", "eog_blink_count~arousal"), ("scrs", "gsr_scr_count~arousal")):
        r = strength(_within(m[key], m["subject"]), lat)
        assert abs(np.arctanh(r) - np.arctanh(planted[name])) < Z_TOL, (key, r, planted[name])
    # the scenario's ordering of strengths holds in the files
    r_eeg = strength(_within(m["beta_gamma"], m["subject"]), lat)
    r_eog = strength(_within(m["blinks"], m["subject"]), lat)
    if scenario == "kd":
        assert r_eeg > r_eog + 0.1
    # labels: the binarised self-report is 1 with probability Phi((s (a - 5) + b) / sd), from
    # the subject's scale s and bias b in ground_truth.json (clipping keeps the side of 5)
    sd = truth["self_report_model"]["noise_sd"]
    p = np.concatenate([norm.cdf((s["report_scale"][1] * (np.array(
        [t["latent"]["arousal"] for t in s["trials"]]) - 5.0) + s["report_bias"][1]) / sd)
        for s in truth["subjects"].values()])
    n_high = int(np.sum(m["arousal_label"] > 5.0))
    assert abs(n_high - p.sum()) < 3.0 * np.sqrt(np.sum(p * (1 - p))), (n_high, p.sum())
    flips = np.mean((m["arousal_label"] > 5) != (m["latent"] > 5))
    assert flips == pytest.approx(truth["strengths"]["label_flip_rate_arousal"], abs=1e-4)
    assert 0.05 < flips < 0.3  # noisy, not random


def test_blind_student_modalities_carry_nothing_the_teacher_does(tmp_path_factory):
    root, truth = _cohort(tmp_path_factory, "blind")
    m = _measure(root, truth)
    lat = _within(m["latent"], m["subject"])
    chance = 3.0 / np.sqrt(len(lat) - 3)  # 3 SD band of r under independence
    for key in ("blinks", "scrs"):
        assert abs(strength(_within(m[key], m["subject"]), lat)) < chance, key
    assert strength(_within(m["beta_gamma"], m["subject"]), lat) > 0.8
    # the planted EOG and GSR rates ignore the latent: the written events follow the base rates
    assert truth["scenario"]["blink"] == truth["effects"]["arousal_blink_rate"][
        "per_min_per_rating"] == 0.0


def test_cli_synth_writes_the_scenario(tmp_path, capsys):
    out = tmp_path / "kd"
    assert main(["synth", "--out", str(out), "--subjects", "1", "--trials", "2", "--no-raw",
                 "--scenario", "kd"]) == 0
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["scenario"]["name"] == "kd" and truth["self_report_model"]["noise_sd"] == 1.5
    assert sorted(truth["strengths"]["pooled"]) == sorted(truth["strengths"]["within_subject"])
    with pytest.raises(SystemExit):
        main(["synth", "--out", str(out), "--scenario", "kdd"])
    assert "invalid choice: 'kdd'" in capsys.readouterr().err


def test_latent_classes_read_each_windows_trial_latent():
    from emopipe.io.synth._common import latent_classes

    truth = {"subjects": {"s01": {"trials": [{"latent": {"arousal": 7.0}},
                                             {"latent": {"arousal": 5.0}}]},
                          "s02": {"trials": [{"latent": {"arousal": 2.5}}]}}}
    np.testing.assert_array_equal(
        latent_classes(truth, ["s01", "s01", "s02", "s01"], [1, 2, 1, 1]), [1, 0, 0, 1])
    with pytest.raises(ValueError, match="subject and trial must have one entry per window, "
                                         "got 2 subjects and 1 trials"):
        latent_classes(truth, ["s01", "s02"], [1])
