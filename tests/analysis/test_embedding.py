"""t-SNE of a run's penultimate features: separation scores, planted runs, files, CLI."""

import csv
import json

import numpy as np
import pytest

from emopipe import __version__
from emopipe.analysis.embedding import run_tsne, separation_scores
from emopipe.distill.data import CohortData
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.utils._errors import ConfigError, RunError


def _silhouette_by_hand(X, y):
    s = []
    for i in range(len(X)):
        d = np.abs(X - X[i]).sum(1)  # 1-D points: |x_i - x_j|
        same = (y == y[i]) & (np.arange(len(X)) != i)
        a, b = d[same].mean(), d[y != y[i]].mean()
        s.append((b - a) / max(a, b))
    return float(np.mean(s))


def test_separation_scores_on_hand_made_points():
    X = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2]])
    y = np.array([0, 0, 0, 1, 1, 1])
    sc = separation_scores(X, y, k=2)
    assert sc["knn_accuracy"] == 1.0
    assert sc["silhouette"] == pytest.approx(_silhouette_by_hand(X, y), rel=1e-12)
    # alternating classes on a line: every nearest neighbour is of the other class
    X = np.arange(10.0)[:, None]
    y = np.arange(10) % 2
    sc = separation_scores(X, y, k=1)
    assert sc["knn_accuracy"] == 0.0
    assert sc["silhouette"] == pytest.approx(_silhouette_by_hand(X, y), rel=1e-12)
    with pytest.raises(ConfigError, match=r"labels must have shape \(n_windows,\) = \(10,\), "
                                          r"got \(9,\)"):
        separation_scores(X, y[:9])


def _planted(separable, n_sub=3, n_trials=8, n_win=6, seed=0):
    """Student features that carry the class (3 SD shift in 3 of 6 entries) or only noise."""
    rng = np.random.default_rng(seed)
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i + 1:02d}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    cls = np.repeat(np.tile([0, 1], n_sub * n_trials // 2), n_win)
    eog = rng.standard_normal((n, 6))
    if separable:
        eog[:, :3] += 3.0 * (2 * cls[:, None] - 1)
    return CohortData.from_arrays({"eog:features": eog}, subject=subject, trial=trial,
                                  labels={"valence_class": cls})


@pytest.fixture(scope="module")
def planted_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tsne")
    out = {}
    for sep in (True, False):
        cohort = _planted(sep)
        run = root / f"run_{sep}"
        run_distill(DistillConfig(student="eog", method="none", epochs=5, batch_size=32,
                                  max_folds=2, out=str(run)), cohort=cohort)
        rows = run_tsne(run, root / f"fig_{sep}", cohort=cohort)
        out[sep] = (run, root / f"fig_{sep}", rows)
    return out


def test_separable_features_separate_better_than_noise(planted_runs):
    mean = {sep: next(r for r in rows if r["scope"] == "subject" and r["group"] == "mean")
            for sep, (_, _, rows) in planted_runs.items()}
    for m in ("silhouette", "knn_accuracy", "silhouette_features"):
        assert mean[True][m] > mean[False][m] + 0.3, m
    assert mean[False]["knn_accuracy"] < 0.75  # chance is 0.5 (balanced classes)
    assert mean[True]["knn_accuracy"] > 0.95


def test_files_table_and_sidecar(planted_runs):
    run, fig, rows = planted_runs[True]
    assert [(r["role"], r["scope"], r["group"]) for r in rows] == [
        ("student", "subject", "s01"), ("student", "subject", "s02"),
        ("student", "pooled", "all"), ("student", "subject", "mean"),
        ("student", "pooled", "mean")]
    mean, pooled = rows[3], rows[2]
    assert mean["n_windows"] == pooled["n_windows"] == 96  # 2 test subjects x 8 trials x 6
    assert (pooled["n_folds"], rows[0]["n_folds"]) == (2, 1)
    assert mean["knn_accuracy"] == pytest.approx(np.mean([r["knn_accuracy"] for r in rows[:2]]))
    assert rows[0]["same_fold_knn"] == 1.0  # one fold: every neighbour is of it
    with open(fig / "tsne_scores.csv", newline="") as fid:
        table = list(csv.DictReader(fid))
    assert [float(t["silhouette"]) for t in table] == pytest.approx(
        [r["silhouette"] for r in rows], rel=1e-5)
    for scope in ("subject", "pooled"):
        side = json.loads((fig / f"tsne_{scope}.json").read_text())
        assert side["run"] == str(run) and side["emopipe_version"] == __version__
        assert side["config"]["method"] == "none" and side["config"]["data_hash"] == \
            side["data_hash"]
        assert side["scope"] == scope
        for ext in ("png", "pdf"):
            assert (fig / f"tsne_{scope}.{ext}").stat().st_size > 1000
    with np.load(fig / "tsne.npz") as z:
        assert z["student__subject__s01__embedding"].shape == (48, 2)
        assert z["student__pooled__all__embedding"].shape == (96, 2)


def test_same_fold_share_and_neighbours_on_hand_made_points():
    # two folds far apart on a line, classes alternating within each fold
    X = np.concatenate([np.arange(6.0), 100 + np.arange(6.0)])[:, None]
    y = np.tile([0, 1], 6)
    fold = np.repeat(["a", "b"], 6)
    sc = separation_scores(X, y, k=2, groups=fold)
    assert sc["same_fold_knn"] == 1.0
    # the two neighbours of each point are its two sides (other class), or, at an end,
    # the next two points (one of each): majority ties go to the lower class
    assert sc["knn_accuracy"] == pytest.approx(2 / 12)
    sc = separation_scores(X, y, k=2, groups=np.tile(["a", "b"], 6))
    assert sc["same_fold_knn"] == pytest.approx((4 * 0.5 + 8 * 0.0) / 12)


def test_knn_across_trials_on_hand_made_points():
    # four trials of three windows; each window's nearest neighbour is in its own trial
    tri = np.array([0.0, 0.1, 0.25])
    X = np.concatenate([tri, tri + 0.45, tri + 10, tri + 10.45])[:, None]
    trial = np.repeat(["a", "b", "c", "d"], 3)
    # classes alternate between neighbouring trials: other-trial neighbours are all wrong
    y = np.repeat([0, 1, 0, 1], 3)
    sc = separation_scores(X, y, k=1, trials=trial)
    assert (sc["knn_accuracy"], sc["knn_other_trials"]) == (1.0, 0.0)
    # neighbouring trials of one class: right either way
    y = np.repeat([0, 0, 1, 1], 3)
    sc = separation_scores(X, y, k=1, trials=trial)
    assert (sc["knn_accuracy"], sc["knn_other_trials"]) == (1.0, 1.0)
    # k = 2: window 0.25 of trial a votes 0.45 and 0.55 (trial b)
    sc = separation_scores(X, np.repeat([0, 1, 0, 1], 3), k=2, trials=trial)
    assert sc["knn_other_trials"] == 0.0


def test_openTSNE_switches_to_fft_gradients_for_large_sets(monkeypatch, rng):
    from emopipe.analysis import embedding

    X = rng.standard_normal((40, 3))
    assert embedding.embed_2d(X)[1] == "openTSNE-bh"
    monkeypatch.setattr(embedding, "FFT_FROM", 40)
    Y, backend = embedding.embed_2d(X)
    assert backend == "openTSNE-fft" and Y.shape == (40, 2)


def test_within_subject_run_groups_a_subjects_folds(tmp_path):
    cohort = _planted(True, n_sub=2)
    run = tmp_path / "run"
    run_distill(DistillConfig(teacher="eog", student="eog", method="hinton_kd", epochs=2,
                              batch_size=32, protocol="within_subject_kfold", n_folds=2,
                              out=str(run)), cohort=cohort)
    rows = run_tsne(run, None, cohort=cohort, scopes=("fold", "subject", "pooled"),
                    subjects=["s02"])
    got = {(r["role"], r["scope"], r["group"]): r for r in rows}
    for role in ("teacher", "baseline", "student"):
        sub = got[(role, "subject", "s02")]
        assert (sub["n_windows"], sub["n_folds"]) == (48, 2)  # 8 trials x 6, over 2 folds
        assert got[(role, "pooled", "all")]["n_windows"] == 48  # only s02 asked for
        folds = [r for r in rows if r["role"] == role and r["scope"] == "fold"
                 and r["group"] != "mean"]
        assert sorted(r["n_windows"] for r in folds) == [24, 24]
        assert 0.0 <= sub["same_fold_knn"] <= 1.0
    with pytest.raises(ConfigError, match=r"subjects \['s09'\] have no test windows in the "
                                          r"run .*; its test subjects are \['s01', 's02'\]"):
        run_tsne(run, None, cohort=cohort, subjects=["s09"])
    with pytest.raises(ConfigError, match=r"scopes must be some of \['fold', 'subject', "
                                          r"'pooled'\], got \['trial'\]"):
        run_tsne(run, None, cohort=cohort, scopes=["trial"])


def test_tsne_refuses_other_data_and_unknown_roles(planted_runs):
    run = planted_runs[True][0]
    with pytest.raises(RunError, match=r"the given cohort is not the data the run was trained "
                                       r"on"):
        run_tsne(run, None, cohort=_planted(False))
    with pytest.raises(RunError, match=r"trained on an in-memory cohort; pass that cohort"):
        run_tsne(run, None)
    with pytest.raises(ConfigError, match=r"roles \['teacher'\] are not in the run .*; it "
                                          r"holds \['student'\]"):
        run_tsne(run, None, cohort=_planted(True), roles=["teacher"])


def test_cli_tsne_reports_a_user_error(planted_runs, tmp_path, capsys):
    from emopipe.cli import main

    run = planted_runs[True][0]
    assert main(["tsne", "--run", str(run), "--out", str(tmp_path / "f")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("emopipe tsne: error: ") and "in-memory cohort" in err
    assert main(["tsne", "--run", str(tmp_path / "none"), "--out", str(tmp_path / "f")]) == 1
    assert "not a run folder (no config.yaml)" in capsys.readouterr().err


def _write_cache(folder, c, config_hash="h1"):
    from emopipe.cache import write_features
    from emopipe.features._base import Feature

    for s in np.unique(c.subject):
        sel = c.subject == s
        write_features(
            folder / f"{s}.h5", dataset="deap", subject=str(s),
            windows={"trial": c.trial[sel], "onset": c.onset[sel],
                     "duration": np.ones(int(sel.sum()))},
            labels={k: v[sel] for k, v in c.labels.items()},
            modalities={"eog": {"features": Feature(c.features["eog:features"][sel],
                                                    ("window", "feature"), {"unit": "a.u."})}},
            config={}, config_hash=config_hash)


@pytest.fixture(scope="module")
def cached_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cached")
    c = _planted(True, n_sub=2)
    _write_cache(tmp / "cache", c)
    run = tmp / "run"
    run_distill(DistillConfig(cache=str(tmp / "cache"), student="eog", method="none",
                              epochs=5, batch_size=32, out=str(run), max_folds=1))
    return tmp, c


def test_cli_tsne_on_a_cached_run(cached_run, tmp_path, capsys):
    from emopipe.cli import main

    tmp, _ = cached_run
    assert main(["tsne", "--run", str(tmp / "run"), "--out", str(tmp_path / "fig")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["model", "scope", "group", "windows", "silhouette", "5-NN",
                                "acc", "other-trial"]
    assert lines[1].split()[:4] == ["student", "subject", "s01", "48"]
    with open(tmp_path / "fig" / "tsne_scores.csv", newline="") as fid:
        first = next(csv.DictReader(fid))
    assert lines[1].split()[4:] == [f"{float(first[m]):.3f}" for m in
                                    ("silhouette", "knn_accuracy", "knn_other_trials")]


def _copy_run(tmp, dest):
    import shutil

    shutil.copytree(tmp / "run", dest)
    return dest


def _cli_error(argv, capsys):
    from emopipe.cli import main

    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one paragraph
    return err.rstrip("\n")


def test_cli_tsne_on_a_run_from_an_older_emopipe(cached_run, tmp_path, capsys):
    import shutil

    tmp, _ = cached_run
    run = _copy_run(tmp, tmp_path / "old")
    shutil.rmtree(run / "models")  # what a run folder held before it described itself
    err = _cli_error(["tsne", "--run", str(run), "--out", str(tmp_path / "f")], capsys)
    assert err == (
        f"emopipe tsne: error: {run}: folds ['sub-s01'] have no models/<fold>.json and .npz: "
        f"the folder was written by an emopipe older than the self-describing run folder and "
        f"does not record the models' names and constructor arguments, the normalisation "
        f"statistics, the feature metadata or the cache identity. Rerun 'emopipe distill' "
        f"with this folder's config.yaml into a new --out folder (or with resume=False into "
        f"{run}) to write them.")


def test_cli_tsne_refuses_a_cache_changed_since_training(cached_run, tmp_path, capsys):
    from emopipe.distill.data import load_cohort
    from emopipe.distill.run_folder import _data_hash
    from emopipe.utils.config import read_yaml

    tmp, c = cached_run
    run = _copy_run(tmp, tmp_path / "run")
    _write_cache(tmp_path / "cache", c, config_hash="h2")  # re-extracted with another config
    was = read_yaml(run / "config.yaml")["data_hash"]
    cohort = load_cohort(tmp_path / "cache", ["eog"])
    now = _data_hash(cohort, cache_files=cohort.sources)
    assert now != was
    err = _cli_error(["tsne", "--run", str(run), "--out", str(tmp_path / "f"), "--cache",
                      str(tmp_path / "cache")], capsys)
    assert err == (
        f"emopipe tsne: error: {run}: the cache {tmp_path / 'cache'} is not the data the run "
        f"was trained on (data_hash {now!r}, the run recorded {was!r}: another cache, or one "
        f"re-extracted since training). Give the cache the run was trained on, or rerun "
        f"'emopipe distill' on this one.")


def test_cli_tsne_on_a_missing_fold_checkpoint(cached_run, tmp_path, capsys):
    tmp, _ = cached_run
    run = _copy_run(tmp, tmp_path / "run")
    ckpt = run / "checkpoints" / "sub-s01" / "student.pt"
    ckpt.unlink()
    err = _cli_error(["tsne", "--run", str(run), "--out", str(tmp_path / "f")], capsys)
    assert err == (
        f"emopipe tsne: error: {ckpt}: the student checkpoint of fold 'sub-s01' is missing. "
        f"Delete {run / 'predictions' / 'sub-s01.npz'} and rerun 'emopipe distill' on this "
        f"folder with save_checkpoints=True (resume retrains that fold only).")


def test_continuous_raw_window_run_is_coloured_by_target_tertile(tmp_path):
    # a raw face-frame teacher (window TCN) and a continuous target (V2E)
    rng = np.random.default_rng(3)
    n_sub, n_trials, n_win = 2, 6, 4
    n = n_sub * n_trials * n_win
    subject = np.repeat(["s01", "s02"], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    v = 5 + np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    frames = rng.uniform(0, 40, (n, 4, 8, 8)).astype(np.uint8)
    c = CohortData.from_arrays(
        {"face:frames": frames, "eeg:band_power": rng.standard_normal((n, 2, 3))},
        subject=subject, trial=trial, labels={"valence": v},
        dims={"face:frames": ("window", "time", "height", "width"),
              "eeg:band_power": ("window", "channel", "band")},
        sfreq={"face:frames": 4.0}, meta={"face:frames": {"unit": "grey level"}})
    run = tmp_path / "run"
    run_distill(DistillConfig(teacher="face:frames", student="eeg:band_power", method="v2e",
                              epochs=1, teacher_epochs=1, batch_size=16, max_folds=1,
                              teacher_params={"embed_dim": 8, "channels": [8, 128]},
                              out=str(run)), cohort=c)
    rows = run_tsne(run, tmp_path / "fig", cohort=c, scopes=["subject"])
    assert sorted({r["role"] for r in rows}) == ["baseline", "student", "teacher"]
    # the colours are the tertiles of s01's ratings (the first LOSO fold's test subject)
    vs = v[subject == "s01"]
    lo, hi = np.quantile(vs, [1 / 3, 2 / 3])
    want = (vs > lo).astype(int) + (vs > hi).astype(int)
    with np.load(tmp_path / "fig" / "tsne.npz") as z:
        for role in ("teacher", "baseline", "student"):
            assert np.array_equal(z[f"{role}__subject__s01__label"], want)
