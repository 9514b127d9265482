"""``emopipe demo`` ends with a t-SNE and a saliency map of its run; the PNGs go to ``--figures``."""

import csv
import json

import numpy as np

from emopipe.distill.train import DistillConfig, run_distill


def _cached_run(tmp_path):
    """A small cached LOSO run with a teacher, a distilled student and the student alone."""
    from emopipe.cache import write_features
    from emopipe.features._base import Feature

    rng = np.random.default_rng(0)
    n_sub, n_trials, n_win = 3, 6, 8
    for i in range(n_sub):
        cls = np.repeat(np.arange(n_trials) % 2, n_win)
        x = rng.standard_normal((n_trials * n_win, 4)) + 2.0 * cls[:, None]
        write_features(
            tmp_path / "cache" / f"s{i + 1:02d}.h5", dataset="deap", subject=f"s{i + 1:02d}",
            windows={"trial": np.repeat(np.arange(1, n_trials + 1), n_win),
                     "onset": np.tile(np.arange(n_win, dtype=float), n_trials),
                     "duration": np.ones(n_trials * n_win)},
            labels={"arousal_class": cls},
            modalities={"eog": {"features": Feature(x, ("window", "feature"), {"unit": "a.u."})}},
            config={}, config_hash="h1")
    run = tmp_path / "run"
    run_distill(DistillConfig(cache=str(tmp_path / "cache"), teacher="eog", student="eog",
                              method="hinton_kd", target="arousal", epochs=2, batch_size=32,
                              out=str(run)))
    return run


def test_demo_pictures_draw_a_tsne_and_copy_it(tmp_path, capsys):
    from emopipe.demo import _demo_pictures

    run = _cached_run(tmp_path)
    fig, figures = tmp_path / "demo" / "figures", tmp_path / "figures"
    paths = _demo_pictures(run, fig, figures)
    text = capsys.readouterr().out
    assert f"Pictures -> {fig}" in text
    copy = figures / "demo_tsne.png"
    assert paths["copies"] == [copy, figures / "demo_saliency.png"]
    assert copy.read_bytes() == (fig / "demo_tsne.png").read_bytes()
    assert 1000 < copy.stat().st_size < 200_000  # small enough for the README
    assert f"copied to          {copy}" in text
    side = json.loads((fig / "demo_tsne.json").read_text())
    assert side["subject"] == "s01" and side["config"]["method"] == "hinton_kd"
    with open(fig / "demo_tsne_scores.csv", newline="") as fid:
        rows = [r for r in csv.DictReader(fid) if r["group"] != "mean"]
    # the printed scores are those of the table: three models, subject s01 and pooled
    assert [(r["role"], r["scope"], r["group"]) for r in rows] == [
        (role, scope, group) for scope, group in (("subject", "s01"), ("pooled", "all"))
        for role in ("teacher", "baseline", "student")]
    titles = {"teacher": "teacher", "baseline": "student alone", "student": "distilled student"}
    for r in rows:
        assert (f"t-SNE {titles[r['role']]:<17} {r['scope']:<7} {r['group']:<4}: silhouette "
                f"{float(r['silhouette']):+.3f}, 5-NN accuracy {float(r['knn_accuracy']):.3f} "
                f"({float(r['knn_other_trials']):.3f} from other trials; {r['n_windows']} "
                f"windows)") in text
    assert [r["n_windows"] for r in rows[::3]] == ["48", "144"]  # 6 trials x 8; 3 subjects
    _check_demo_saliency(paths, fig, figures, text)


def _check_demo_saliency(paths, fig, figures, text):
    """The saliency map's printout is its files' content; the PNG is copied and small."""
    from emopipe.analysis.saliency import read_saliency, top_cells

    assert paths["saliency"] == fig / "demo_saliency.png"
    copy = figures / "demo_saliency.png"
    assert copy.read_bytes() == paths["saliency"].read_bytes()
    assert 1000 < copy.stat().st_size < 200_000
    assert (f"saliency           {paths['saliency']} (+ .pdf, sidecar .json; maps in "
            f"{fig / 'saliency'})") in text
    (smap,), prov = read_saliency(fig / "saliency" / "saliency.h5")
    assert smap.key == "eog:features" and smap.rows == [f"f{i}" for i in range(4)]
    assert smap.cols == ["all"] and smap.outputs == ["0", "1"]
    assert smap.subjects == ["s01", "s02", "s03"]  # every test window of the 3 LOSO folds
    assert smap.n_windows.sum() == 3 * 48
    for o, name in enumerate(smap.outputs):
        cells = ", ".join(f"{r} {m:.3g}" for r, _, m, _ in top_cells(smap, o, 3))
        assert f"saliency eog:features class {name}: top features {cells}" in text
        with open(fig / "saliency" / f"saliency_eog_features_{name}.csv", newline="") as fid:
            csv_rows = list(csv.reader(fid))
        assert csv_rows[0] == ["feature", "all"]
        np.testing.assert_allclose([float(r[1]) for r in csv_rows[1:]], smap.mean[o, :, 0])
    check = prov["randomisation"]
    assert [s["step"] for s in check] == list(range(1, len(check) + 1)) and len(check) >= 2
    verdict = "FLAGGED: it survives randomisation" if prov["flagged"] else "passed"
    assert (f"randomisation check ({len(check)} layers re-initialised, 32 windows per fold): "
            f"Spearman {check[-1]['spearman']:+.3f} with the trained map, {verdict} (< 0.3 "
            f"required)") in text
    assert prov["check_windows_per_fold"] == 32
    side = json.loads((fig / "demo_saliency.json").read_text())
    assert side["role"] == "student" and side["flagged"] == prov["flagged"]


def test_demo_takes_a_figures_folder():
    from emopipe.cli import build_parser

    args = build_parser().parse_args(["demo", "--figures", "figures"])
    assert args.figures == "figures"
    assert build_parser().parse_args(["demo"]).figures is None
