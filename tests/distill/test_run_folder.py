"""The run folder: atomic files, resume that refuses what it cannot trust, checkpoints, locks."""

import hashlib
import json
import os

import numpy as np
import pytest
import torch

from emopipe.distill import run_folder
from emopipe.distill.data import CohortData
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.utils._errors import DataFileError, RunError
from emopipe.utils._lock import FolderLock


def _cohort(n_sub=3, n_trials=8, n_win=6, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i + 1:02d}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    v = np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    eeg = rng.standard_normal((n, 2, 3))
    eeg[:, 0, 0] += 2 * v + shift
    eog = rng.standard_normal((n, 4))
    eog[:, 0] += 0.5 * v
    return CohortData.from_arrays({"eeg:de": eeg, "eog:features": eog}, subject=subject,
                                  trial=trial, labels={"valence_class": (v > 0).astype(int),
                                                       "valence": 5 + v})


FAST = dict(teacher="eeg", student="eog", epochs=2, batch_size=32, method="hinton_kd")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished 3-fold run folder (copied per test) and its result."""
    out = tmp_path_factory.mktemp("runs") / "run"
    res = run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    return out, res


@pytest.fixture
def run(finished, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(finished[0], out)
    return out, finished[1]


def _files(out):
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def test_config_and_versions_record_threads_and_hashes(run):
    import yaml

    out, res = run
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["n_threads"] == 1
    assert cfg["result_hash"] == res.summary["result_hash"]
    assert cfg["data_hash"] == res.summary["data_hash"]
    assert cfg["data_hash"].startswith("arrays-")
    versions = json.loads((out / "versions.json").read_text())
    assert versions["n_threads"] == 1 and versions["torch_num_threads"] == 1
    assert not [f for f in _files(out) if ".tmp-" in f or f == ".lock"]


def test_kill_between_training_record_and_predictions_resumes(run, monkeypatch):
    out, first = run
    for fold in ("sub-s02", "sub-s03"):  # killed while fold 2 was being written
        (out / "predictions" / f"{fold}.npz").unlink()
        (out / "checkpoints" / fold / "student.pt").unlink()
    (out / "predictions" / "sub-s03.json").unlink()
    (out / "predictions" / "sub-s02.npz.tmp-4194999.npz").write_bytes(b"PK\x03\x04 half")
    real = run_folder._save_npz
    calls = []

    def kill_at_the_resume_key(path, **arrays):
        calls.append(path.name)
        if path.parent.name == "predictions":
            raise KeyboardInterrupt  # the json is written, the npz not yet
        return real(path, **arrays)

    monkeypatch.setattr("emopipe.distill.train._save_npz", kill_at_the_resume_key)
    with pytest.raises(KeyboardInterrupt):
        run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    assert (out / "predictions" / "sub-s02.json").is_file()
    assert not (out / "predictions" / "sub-s02.npz").exists()
    assert not (out / ".lock").exists()  # released on the way out
    monkeypatch.setattr("emopipe.distill.train._save_npz", real)
    again = run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    assert again.summary["n_resumed"] == 1
    assert again.metrics_fold == first.metrics_fold
    for fold in first.predictions:
        for role in ("teacher", "student", "baseline"):
            assert np.array_equal(again.predictions[fold][role], first.predictions[fold][role])
    assert not [f for f in _files(out) if ".tmp-" in f]  # the stale temporary file is gone


def test_interrupted_json_write_keeps_the_old_file(run, monkeypatch):
    out, _ = run
    path = out / "summary.json"
    before = path.read_bytes()

    def broken(obj, fid, **kw):
        fid.write('{"half": ')
        raise KeyboardInterrupt

    monkeypatch.setattr(run_folder.json, "dump", broken)
    with pytest.raises(KeyboardInterrupt):
        run_folder._write_json(path, {"a": 1})
    assert path.read_bytes() == before
    assert not [f for f in _files(out) if ".tmp-" in f]


@pytest.mark.parametrize("damage, match", [
    ("truncate_npz", r"sub-s02\.npz: not a readable predictions file \(BadZipFile"),
    ("empty_npz", r"sub-s02\.npz: not a readable predictions file"),
    ("wrong_shape", r"sub-s02\.npz: 'student' must hold finite floats of shape \(n_test, n_out\) "
                    r"= \(48, 2\), got float32 of shape \(48, 3\)"),
    ("nan", r"sub-s02\.npz: 'teacher' must hold finite floats"),
    ("no_baseline", r"sub-s02\.npz: holds \['student', 'teacher', 'test_idx'\], this run needs "
                    r"\['test_idx', 'teacher', 'student', 'baseline'\] \(missing \['baseline'\]\)"),
    ("truncate_json", r"sub-s02\.json: not a readable training record \(JSONDecodeError"),
    ("list_json", r"sub-s02\.json: the training record must be a JSON object, got list"),
])
def test_damaged_fold_files_are_named_errors(run, damage, match):
    out, _ = run
    npz, js = out / "predictions" / "sub-s02.npz", out / "predictions" / "sub-s02.json"
    if damage == "truncate_npz":
        npz.write_bytes(npz.read_bytes()[:300])
    elif damage == "empty_npz":
        npz.write_bytes(b"")
    elif damage == "truncate_json":
        js.write_text(js.read_text()[:40])
    elif damage == "list_json":
        js.write_text("[1, 2]")
    else:
        with np.load(npz) as f:
            arrays = {k: f[k] for k in f.files}
        if damage == "wrong_shape":
            arrays["student"] = np.zeros((48, 3), np.float32)
        elif damage == "nan":
            arrays["teacher"][0, 0] = np.nan
        else:
            del arrays["baseline"]
        np.savez(npz, **arrays)
    with pytest.raises(DataFileError, match=match) as info:
        run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    assert "Delete sub-s02.npz and sub-s02.json" in str(info.value)
    assert "to recompute this fold" in str(info.value)


def test_other_data_or_threads_refused_in_the_same_folder(run):
    out, _ = run
    with pytest.raises(RunError, match=r"config\.yaml: the run folder holds the same config on "
                                       r"other data \(data_hash 'arrays-[0-9a-f]{16}' vs "
                                       r"'arrays-[0-9a-f]{16}'.*resuming would score its "
                                       r"predictions against this run's data"):
        run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort(shift=0.5))
    with pytest.raises(RunError, match=r"holds a run with another config \(result_hash"):
        run_distill(DistillConfig(out=str(out), n_threads=2, **FAST), cohort=_cohort())
    # resume=False starts over on the new data
    res = run_distill(DistillConfig(out=str(out), resume=False, **FAST), cohort=_cohort(shift=.5))
    assert res.summary["n_resumed"] == 0


def _write_cache(folder, cohort, *, config_hash="h", sha="0" * 64):
    from emopipe.cache import write_features
    from emopipe.features._base import Feature

    for s in np.unique(cohort.subject):
        sel = cohort.subject == s
        n = int(sel.sum())
        write_features(
            folder / f"{s}.h5", dataset="deap", subject=str(s),
            windows={"trial": cohort.trial[sel], "onset": cohort.onset[sel],
                     "duration": np.ones(n)},
            labels={k: v[sel] for k, v in cohort.labels.items()},
            modalities={"eeg": {"de": Feature(cohort.features["eeg:de"][sel],
                                              ("window", "channel", "band"), {})},
                        "eog": {"features": Feature(cohort.features["eog:features"][sel],
                                                    ("window", "feature"), {})}},
            config={}, config_hash=config_hash,
            sources=[{"path": f"/data/{s}.dat", "size": 1, "sha256": sha}])


def test_cache_identity_is_part_of_the_run(tmp_path):
    import shutil

    from emopipe.cache.hdf5 import cache_identity

    cache, out = tmp_path / "cache", tmp_path / "run"
    _write_cache(cache, _cohort())
    ident = cache_identity(sorted(cache.glob("*.h5")))
    assert ident["s01.h5"] == {"config_hash": "h", "sources": ["0" * 64]}
    cfg = DistillConfig(cache=str(cache), out=str(out), max_folds=1, **FAST)
    first = run_distill(cfg)
    assert len(first.summary["data_hash"]) == 16
    # the same files elsewhere: same identity, the run resumes
    shutil.copytree(cache, tmp_path / "moved")
    moved = run_distill(DistillConfig(cache=str(tmp_path / "moved"), out=str(out), max_folds=1,
                                      **FAST))
    assert moved.summary["n_resumed"] == 1 and moved.metrics_fold == first.metrics_fold
    # re-extracted from changed sources (another SHA-256 recorded): refused
    shutil.rmtree(cache)
    _write_cache(cache, _cohort(), sha="1" * 64)
    with pytest.raises(RunError, match=r"holds the same config on other data"):
        run_distill(cfg)
    # another extraction config: refused too
    shutil.rmtree(cache)
    _write_cache(cache, _cohort(), config_hash="h2")
    with pytest.raises(RunError, match=r"holds the same config on other data"):
        run_distill(cfg)


def test_second_writer_of_a_run_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    with FolderLock(out, what="run folder"):
        assert (out / ".lock").read_text() == f"{os.getpid()}\n"
        with pytest.raises(RunError, match=rf"Run folder '{out}' is being written by another "
                                           rf"emopipe process \(PID {os.getpid()}; lock file "
                                           rf"\.lock\).*or give another --out folder\."):
            run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    assert not (out / ".lock").exists()
    res = run_distill(DistillConfig(out=str(out), max_folds=1, **FAST), cohort=_cohort())
    assert res.summary["n_resumed"] == 0


def test_lock_of_a_dead_holder_is_free(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "f"
    folder.mkdir()
    code = ("import os, sys; sys.path.insert(0, sys.argv[2]); "
            "from emopipe.utils._lock import FolderLock; FolderLock(sys.argv[1]).acquire(); "
            "os._exit(0)")  # dies holding it, without releasing
    root = os.path.dirname(os.path.dirname(run_folder.__file__))
    subprocess.run([sys.executable, "-c", code, str(folder), os.path.dirname(root)], check=True)
    assert (folder / ".lock").exists()
    with FolderLock(folder):
        pass


class _Evil:
    def __reduce__(self):
        return (print, ("payload ran",))


def _teacher_path(out):
    return out / "checkpoints" / "sub-s02" / "teacher.pt"


@pytest.mark.parametrize("damage, match", [
    ("malicious", r"teacher\.pt: the checkpoint asks for the Python object 'print', and "
                  r"emopipe loads tensors only \(an object may run code\)"),
    ("truncated", r"teacher\.pt: not a readable PyTorch checkpoint \(RuntimeError: truncated"),
    ("empty", r"teacher\.pt: the checkpoint is empty \(0 bytes\)"),
    ("garbage", r"teacher\.pt: not a readable PyTorch checkpoint \(UnpicklingError: truncated"),
    ("wrong_shape", r"teacher\.pt: the checkpoint does not fit this run's model \('"),
    ("not_a_dict", r"teacher\.pt: expected a state dict \(mapping name -> tensor\), got list"),
    ("nan", r"teacher\.pt: the weights hold NaN or infinite values \('"),
])
def test_bad_checkpoint_on_resume_is_a_named_error(run, damage, match, capsys):
    out, _ = run
    ckpt = _teacher_path(out)
    (out / "predictions" / "sub-s02.npz").unlink()  # resume goes through the checkpoint
    state = torch.load(ckpt, weights_only=True)
    if damage == "malicious":
        torch.save({"w": _Evil()}, ckpt)
    elif damage == "truncated":
        ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    elif damage == "empty":
        ckpt.write_bytes(b"")
    elif damage == "garbage":
        ckpt.write_bytes(b"not a checkpoint at all" * 10)
    elif damage == "wrong_shape":
        key = next(k for k, v in state.items() if v.ndim == 2)
        state[key] = torch.zeros(state[key].shape[0] + 1, state[key].shape[1])
        torch.save(state, ckpt)
    elif damage == "not_a_dict":
        torch.save([torch.zeros(2)], ckpt)
    else:
        key = next(k for k, v in state.items() if v.is_floating_point())
        state[key].view(-1)[0] = float("nan")
        torch.save(state, ckpt)
    # crafted with a matching checksum file, so the loader itself must refuse it
    sidecar = ckpt.with_name("teacher.pt.sha256")
    sidecar.write_text(hashlib.sha256(ckpt.read_bytes()).hexdigest() + "  teacher.pt\n")
    with pytest.raises(DataFileError, match=match) as info:
        run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    msg = str(info.value)
    assert str(ckpt) in msg and "and rerun: the fold is retrained" in msg
    assert "weights_only=False" not in msg and "weights_only" not in msg
    assert info.value.__cause__ is None  # PyTorch's message is not chained in either
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert "payload ran" not in capsys.readouterr().out


def test_checkpoint_checksum_catches_a_flipped_bit_and_a_missing_one_retrains(run):
    out, first = run
    ckpt = _teacher_path(out)
    (out / "predictions" / "sub-s02.npz").unlink()
    resumed = run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    assert resumed.summary["training"]["sub-s02"]["teacher"] == {"resumed": True}
    assert resumed.metrics_fold == first.metrics_fold  # the verified checkpoint is the teacher
    (out / "predictions" / "sub-s02.npz").unlink()
    good = ckpt.read_bytes()
    raw = bytearray(good)
    raw[-200] ^= 0x10  # inside the tensor data: torch.load alone would take it
    ckpt.write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match=r"teacher\.pt: the checkpoint changed since it was "
                                            r"written \(its SHA-256 differs from "
                                            r"teacher\.pt\.sha256\)\. Delete"):
        run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    # killed between the checkpoint and its checksum: the teacher is retrained, same result
    ckpt.write_bytes(good)
    ckpt.with_name("teacher.pt.sha256").unlink()
    again = run_distill(DistillConfig(out=str(out), **FAST), cohort=_cohort())
    assert again.summary["training"]["sub-s02"]["teacher"].get("resumed") is None
    assert again.metrics_fold == first.metrics_fold
    assert ckpt.with_name("teacher.pt.sha256").is_file()


def test_non_finite_weights_are_never_written(tmp_path):
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.bias[1] = float("inf")
    path = tmp_path / "fold" / "student.pt"
    with pytest.raises(RunError, match=r"student\.pt: not written, the trained weights hold NaN "
                                       r"or infinite values \('bias'\); the training diverged\. "
                                       r"Lower lr"):
        run_folder._save_state(path, model)
    assert not path.exists() and not list(tmp_path.rglob("*.tmp-*"))


def test_metrics_do_not_depend_on_the_callers_thread_count():
    old = torch.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            results.append(run_distill(DistillConfig(**FAST), cohort=_cohort()))
            assert torch.get_num_threads() == threads  # restored after the run
    finally:
        torch.set_num_threads(old)
    a, b = results
    assert a.metrics_fold == b.metrics_fold
    for fold in a.predictions:
        for role in ("teacher", "student", "baseline"):
            assert np.array_equal(a.predictions[fold][role], b.predictions[fold][role])
    assert a.summary["n_threads"] == b.summary["n_threads"] == 1
    assert a.summary["result_hash"] == b.summary["result_hash"]
