"""The BIDS route: events.tsv labels, channels.tsv types, physio files, bad inputs named."""

import gzip
import json
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from _bids_cohort import N_TRIALS, bids_copy
from emopipe.features.extract import ExtractConfig, resolved_config
from emopipe.io import BIDS, read_events, read_physio
from emopipe.utils._errors import ConfigError, DataFileError

STEM = "sub-01_task-emotion"
COLUMNS = "'onset', 'duration', 'trial_type', 'value', 'sample', 'valence', 'arousal', " \
          "'dominance', 'liking'"


@pytest.fixture
def tree(tmp_path_factory, tmp_path):
    root, truth = bids_copy(tmp_path_factory, tmp_path)
    return root, truth, root / "sub-01" / "eeg"


def _read(root, **kw):
    fields = {"bids_label_columns": ("valence", "arousal"), "bids_trial_type": "stimulus", **kw}
    return BIDS.read_subject(root, "01", **fields)


def _edit_tsv(fname, fn):
    lines = [line.split("\t") for line in fname.read_text().splitlines()]
    fname.write_text("\n".join("\t".join(r) for r in fn(lines)) + "\n")


def test_events_tsv_without_the_named_label_column_is_a_named_error(tree):
    root, _, eeg = tree
    msg = (f"{STEM}_events.tsv: no column 'valance'; the columns found are {COLUMNS}. Set "
           f"bids_label_columns to the columns holding the labels (emopipe check --dataset "
           f"bids lists each events.tsv's columns).")
    with pytest.raises(DataFileError, match=f"^{re.escape(msg)}$"):
        read_events(eeg / f"{STEM}_events.tsv", label_columns=["valance"])
    with pytest.raises(DataFileError, match=f"^{re.escape(msg)}$"):
        _read(root, bids_label_columns=("valance",))


def test_missing_label_column_through_the_cli_leaves_nothing_in_the_cache(tree, tmp_path, capsys):
    from emopipe.cli import main

    root, _, _ = tree
    config = tmp_path / "extract.yaml"
    config.write_text("extract:\n  bids_label_columns: [valance]\n  bids_trial_type: stimulus\n")
    cache = tmp_path / "cache"
    args = ["extract", "--dataset", "bids", "--root", str(root), "--config", str(config),
            "--cache", str(cache), "-j", "1"]
    assert main([*args, "--strict"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"emopipe extract: error: {STEM}_events.tsv: no column 'valance'; the "
                          f"columns found are {COLUMNS}.")
    assert "Traceback" not in err and err.count("\n") == 1  # one paragraph
    assert main(args) == 1  # skipped with its reason logged, exit 1 at the end
    assert "1 subject(s) failed and were skipped (01)" in capsys.readouterr().err
    assert [p.name for p in cache.iterdir() if p.suffix == ".h5" or ".tmp" in p.name] == []


def test_trial_rows_are_chosen_by_trial_type_and_na_labels_are_refused(tree):
    root, _, eeg = tree
    events = eeg / f"{STEM}_events.tsv"
    msg = (f"{STEM}_events.tsv: row 2 has 'n/a' in column 'valence', expected a number. Every "
           f"trial row needs a numeric valence; if some rows are not trials (a baseline row "
           f"with n/a labels), select the trial rows with bids_trial_type.")
    with pytest.raises(DataFileError, match=f"^{re.escape(msg)}$"):
        _read(root, bids_trial_type=None)
    with pytest.raises(DataFileError, match=re.escape(
            f"{STEM}_events.tsv: no row has trial_type 'video'; the trial_type values found are "
            f"'baseline', 'stimulus'. Set bids_trial_type to one of them.")):
        _read(root, bids_trial_type="video")
    onset, duration, labels, rows = read_events(events, label_columns=["arousal"],
                                                trial_type="stimulus")
    assert_array_equal(onset, [5.0, 70.0, 135.0, 200.0])
    assert_array_equal(duration, [60.0] * N_TRIALS)
    assert_array_equal(rows, [3, 5, 7, 9])
    _edit_tsv(events, lambda ls: [ls[0]] + [r[:5] + ["12"] + r[6:] if r[2] == "stimulus" else r
                                            for r in ls[1:]])
    with pytest.raises(DataFileError, match=re.escape(
            f"{STEM}_events.tsv: row 3 has valence = 12.0, outside bids_label_scale [1, 9]. "
            f"Fix the value or the scale.")):
        _read(root, bids_label_scale=(1.0, 9.0))


def test_channels_tsv_types_win_over_channel_names(tree):
    root, _, eeg = tree
    types = {"vEOG": "ECG", "Fp1": "MISC"}  # the names say EOG and EEG
    _edit_tsv(eeg / f"{STEM}_channels.tsv", lambda ls: [
        r[:1] + [types.get(r[0], r[1])] + r[2:] for r in ls])
    rec = _read(root)
    assert rec.modalities["ecg"].ch_names == ["vEOG"]
    assert rec.modalities["eog"].ch_names == ["hEOG"]
    eeg = rec.modalities["eeg"].ch_names
    assert len(eeg) == 31 and "Fp1" not in eeg
    assert "misc" not in rec.modalities  # read, but never a feature modality


def test_physio_is_cut_on_the_eeg_clock_by_its_start_time_and_rate(tree):
    root, _, eeg = tree
    # a ramp whose value (uS) is one plus the sample's time on the EEG clock
    side = json.loads((eeg / f"{STEM}_physio.json").read_text())
    side["StartTime"], side["SamplingFrequency"] = -0.5, 50.0
    (eeg / f"{STEM}_physio.json").write_text(json.dumps(side))
    t = np.arange(round(270 * 50)) / 50.0 - 0.5
    with gzip.open(eeg / f"{STEM}_physio.tsv.gz", "wt") as fh:
        fh.writelines(f"{float(1.0 + x)!r}\tn/a\n" for x in t)
    rec = _read(root, bids_baseline=1.0)
    gsr = rec.modalities["gsr"]
    assert gsr.sfreq == 50.0 and gsr.unit == "S" and rec.baseline == 1.0
    for k, onset in enumerate([5.0, 70.0, 135.0, 200.0]):
        want = 1e-6 * (1.0 + onset - 1.0 + np.arange(61 * 50) / 50.0)
        assert_allclose(gsr.trial(k)[0], want, rtol=1e-12)
    assert np.all(np.isnan(rec.modalities["resp"].trial(0)))  # n/a -> NaN
    side["StartTime"] = 10.0  # the physio file starts after the first trial
    (eeg / f"{STEM}_physio.json").write_text(json.dumps(side))
    with pytest.raises(DataFileError, match=re.escape(
            f"{STEM}_physio.tsv.gz: the trial of events.tsv row 3 needs 4 to 65 s of the "
            f"recording, but the file covers 10 to 280 s. Fix the event's onset or duration "
            f"(or bids_baseline).")):
        _read(root, bids_baseline=1.0)


@pytest.mark.parametrize("edit, msg", [
    (lambda s: s.pop("StartTime"), "{stem}_physio.json: no StartTime; a physio sidecar needs "
     "SamplingFrequency (Hz), StartTime (s relative to the EEG's first sample) and Columns (the "
     "names of the header-less columns). Keys found: Columns, SamplingFrequency, gsr, "
     "respiratory."),
    (lambda s: s.update(Columns=["gsr"]), "{stem}_physio.tsv.gz: line 1 has 2 columns but "
     "{stem}_physio.json lists 1 (gsr). The file has no header row: its columns are those of "
     "Columns, in order."),
    (lambda s: s.update(SamplingFrequency=0), "{stem}_physio.json: SamplingFrequency must be a "
     "number > 0 (Hz), got 0."),
])
def test_bad_physio_sidecar_is_a_named_error(tree, edit, msg):
    root, _, eeg = tree
    side = json.loads((eeg / f"{STEM}_physio.json").read_text())
    edit(side)
    (eeg / f"{STEM}_physio.json").write_text(json.dumps(side))
    msg = msg.format(stem=STEM)
    with pytest.raises(DataFileError, match=f"^{re.escape(msg)}$"):
        read_physio(eeg / f"{STEM}_physio.tsv.gz")
    with pytest.raises(DataFileError, match=f"^{re.escape(msg)}$"):
        _read(root)


def test_resampled_eeg_keeps_the_trials_and_the_physio_rate(tree):
    root, _, _ = tree
    rec = _read(root, sfreq=64.0)
    assert rec.modalities["eeg"].sfreq == 64.0
    assert [rec.modalities["eeg"].trial(k).shape for k in range(N_TRIALS)] == [(32, 3840)] * 4
    assert rec.modalities["gsr"].sfreq == 64.0 and rec.modalities["eog"].sfreq == 64.0


def test_several_tasks_need_bids_task_and_an_unknown_subject_lists_the_others(tree):
    root, _, eeg = tree
    for p in list(eeg.iterdir()):
        (eeg / p.name.replace("task-emotion", "task-rest")).write_bytes(p.read_bytes())
    with pytest.raises(ConfigError, match=re.escape(
            f"The BIDS tree {str(root)!r} holds several tasks ('emotion', 'rest'); set bids_task "
            f"in the extract config to the one to read.")):
        _read(root)
    with pytest.raises(ConfigError, match=re.escape(
            f"bids_task is 'music', but the BIDS tree {str(root)!r} has the task(s) 'emotion', "
            f"'rest'. Set bids_task to one of them.")):
        _read(root, bids_task="music")
    assert _read(root, bids_task="rest").n_trials == N_TRIALS
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"BIDS subject '07': no EEG recording of task 'emotion' under {str(root)!r}. "
            f"Subjects with EEG recordings (labels of sub-<label>): 01.")):
        BIDS.read_subject(root, "07", bids_task="emotion", bids_label_columns=("valence",))


def test_config_fields_are_checked_resolved_and_kept_to_their_dataset():
    cfg = ExtractConfig(dataset="bids", bids_label_columns=["valence"], bids_label_scale=[1, 9])
    assert cfg.bids_label_columns == ("valence",) and cfg.bids_label_scale == (1.0, 9.0)
    assert cfg.label_threshold == 5.0 and cfg.sfreq is None  # midpoint; each file's own rate
    cfg = ExtractConfig(dataset="bids", bids_label_columns="valence", label_threshold=3)
    assert cfg.label_threshold == 3 and cfg.bids_label_columns == ("valence",)
    assert ExtractConfig(dataset="bids", bids_label_columns=["emotion"]).label_threshold is None
    with pytest.raises(ConfigError, match=re.escape(
            "dataset bids needs bids_label_columns: the events.tsv columns holding each trial's "
            "labels, e.g. 'bids_label_columns: [valence, arousal]' in the extract section of "
            "--config. 'emopipe check --dataset bids --root DIR' lists the columns of each "
            "events.tsv.")):
        ExtractConfig(dataset="bids")
    with pytest.raises(ConfigError, match=re.escape(
            "bids_task applies to dataset 'bids' only, but the config's dataset is 'deap', which "
            "does not read it. Remove bids_task from the config, or set dataset: bids.")):
        ExtractConfig(dataset="deap", bids_task="emotion")
    with pytest.raises(ConfigError, match=re.escape(
            "bids_label_scale must be [lowest, highest] with lowest < highest, got [9, 1].")):
        ExtractConfig(dataset="bids", bids_label_columns=["v"], bids_label_scale=[9, 1])
    with pytest.raises(ConfigError, match=re.escape("bids_baseline must be")):
        ExtractConfig(dataset="bids", bids_label_columns=["v"], bids_baseline=-1)
    from emopipe.utils.config import config_from_dict

    with pytest.raises(ConfigError, match=r"Did you mean 'bids_label_columns'\?"):
        config_from_dict(ExtractConfig, {"dataset": "bids", "bids_label_column": ["v"]})
    # another dataset's fields stay out of its cache key (a DEAP cache keeps its hash)
    deap = resolved_config(ExtractConfig(dataset="deap"), ".")
    assert not any(k.startswith("bids_") for k in deap)
    assert "bids_label_columns" in resolved_config(cfg, ".")


def test_check_lists_tasks_columns_physio_and_problems(tree, capsys):
    from emopipe.cli import main

    root, _, eeg = tree
    assert BIDS.check(root) == [
        "info: tasks emotion; 1 EEG recording(s) of 1 subject(s)",
        "info: participants.tsv lists sub-02, sub-03 without an EEG recording",
        f"info: {STEM}_physio.tsv.gz: generic at 64 Hz, columns gsr, respiratory",
        f"info: {STEM}_recording-eye1_physio.tsv.gz: eyetrack at 60 Hz, columns timestamp, "
        f"x_coordinate, y_coordinate, pupil_size",
        f"info: {STEM}_events.tsv: columns onset, duration, trial_type, value, sample, valence, "
        f"arousal, dominance, liking (trial_type values: baseline, stimulus)",
    ]
    assert main(["check", "--dataset", "bids", "--root", str(root)]) == 0
    assert "every file present is readable and well-formed" in capsys.readouterr().out
    (eeg / f"{STEM}_events.tsv").unlink()
    side = json.loads((eeg / f"{STEM}_physio.json").read_text())
    del side["Columns"]
    (eeg / f"{STEM}_physio.json").write_text(json.dumps(side))
    problems = [p for p in BIDS.check(root) if not p.startswith("info: ")]
    assert problems == [
        f"{STEM}_eeg.bdf: no {STEM}_events.tsv; its trials and labels cannot be read",
        f"{STEM}_physio.json: no Columns; a physio sidecar needs SamplingFrequency (Hz), "
        f"StartTime (s relative to the EEG's first sample) and Columns (the names of the "
        f"header-less columns). Keys found: SamplingFrequency, StartTime, gsr, respiratory.",
    ]
    assert main(["check", "--dataset", "bids", "--root", str(root)]) == 1
    assert "bids at " in capsys.readouterr().out
    empty = root.parent / "empty"
    empty.mkdir()
    assert BIDS.check(empty) == [
        f"no dataset_description.json under {str(empty)!r}: not a BIDS root (docs/datasets.md "
        f"section 9)",
        f"no EEG recording (sub-<label>/[ses-<label>/]eeg/*_eeg.<ext>, ext among .vhdr, .set, "
        f".edf, .bdf, .fif, .cnt) under {str(empty)!r}: not a BIDS EEG dataset (docs/datasets.md "
        f"section 9)",
    ]


def test_sessions_are_read_in_order_and_numbered(tree, tmp_path):
    src, truth, eeg = tree
    root = tmp_path / "sessions"
    (root / "sub-01").mkdir(parents=True)
    desc = "dataset_description.json"
    (root / desc).write_bytes((src / desc).read_bytes())
    for ses in ("b", "a"):  # numbered by sorted label: a -> 1, b -> 2
        dst = root / "sub-01" / f"ses-{ses}" / "eeg"
        dst.mkdir(parents=True)
        for p in eeg.iterdir():
            name = p.name.replace("sub-01_", f"sub-01_ses-{ses}_")
            (dst / name).write_bytes(p.read_bytes())
    # session b's valence mirrored, so the two sessions' labels differ
    _edit_tsv(root / "sub-01" / "ses-b" / "eeg" / "sub-01_ses-b_task-emotion_events.tsv",
              lambda ls: [ls[0]] + [r[:5] + [r[5] if r[5] == "n/a" else repr(10 - float(r[5]))]
                                    + r[6:] for r in ls[1:]])
    rec = _read(root)
    valence = np.array([t["valence"] for t in truth["subjects"]["01"]["trials"]])
    assert_array_equal(rec.sessions, [1] * N_TRIALS + [2] * N_TRIALS)
    assert_array_equal(rec.trial_ids, np.arange(1, 2 * N_TRIALS + 1))
    assert_array_equal(rec.labels["valence"], np.concatenate([valence, 10 - valence]))
    assert rec.modalities["eeg"].n_trials == rec.modalities["gsr"].n_trials == 2 * N_TRIALS
    assert_array_equal(rec.modalities["eeg"].trial(N_TRIALS), rec.modalities["eeg"].trial(0))
    assert [r["eeg_file"] for r in rec.info["recordings"]] == [
        "sub-01_ses-a_task-emotion_eeg.bdf", "sub-01_ses-b_task-emotion_eeg.bdf"]


def test_cli_names_the_missing_config_and_lists_the_route(tree, capsys):
    from emopipe.cli import main

    root, _, _ = tree
    assert main(["extract", "--dataset", "bids", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert err == ("emopipe extract: error: command line: dataset bids needs bids_label_columns: "
                   "the events.tsv "
                   "columns holding each trial's labels, e.g. 'bids_label_columns: [valence, "
                   "arousal]' in the extract section of --config. 'emopipe check --dataset bids "
                   "--root DIR' lists the columns of each events.tsv.\n")
    assert main(["synth", "--dataset", "bids", "--out", str(root.parent / "x"), "--face"]) == 1
    assert ("emopipe synth --dataset bids: --face do(es) not apply: the BIDS cohort holds EEG and "
            "EOG in one BDF per subject" in capsys.readouterr().err)
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out.splitlines()
    line = next(line for line in out if line.startswith("bids: "))
    assert line == ("bids: any subjects x any session(s); modalities eeg; labels: the events.tsv "
                    "columns bids_label_columns names, scale and threshold from the config; 1-s "
                    "windows by default")
    assert out[out.index(line) + 2].startswith("    protocols: cross_session, ")


def test_real_brainvision_recording_through_mne_bids_reads_as_directly(real_data_dir, tmp_path):
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    from emopipe.io import typed_modalities

    vhdr = f"{real_data_dir}/brainvision-eeg-eog/test.vhdr"
    raw = mne.io.read_raw_brainvision(vhdr, verbose="error")
    direct = typed_modalities(raw, verbose="error")  # HL, HR, Vb: EOG in uV (garbled units)
    raw.set_channel_types({c: "eog" for c in ("HL", "HR", "Vb")}, on_unit_change="ignore",
                          verbose="error")
    raw.info["line_freq"] = 50.0
    raw.set_annotations(mne.Annotations([1.0, 4.0], [2.0, 2.5], ["film", "film"],
                                        extras=[{"valence": 2.0}, {"valence": 8.5}]))
    root = tmp_path / "real"
    write_raw_bids(raw, BIDSPath(subject="bv", task="films", datatype="eeg", root=root),
                   verbose="error")
    rec = BIDS.read_subject(root, "bv", bids_label_columns=("valence",))
    assert_array_equal(rec.labels["valence"], [2.0, 8.5])
    for key in ("eeg", "eog"):
        got = rec.modalities[key]
        assert got.ch_names == direct[key].ch_names and got.unit == "V" and got.sfreq == 1000.0
        for k, (start, n) in enumerate([(1000, 2000), (4000, 2500)]):
            assert_array_equal(got.trial(k), direct[key].data[0][:, start:start + n])
    assert sorted(rec.modalities) == ["eeg", "eog"]  # CP5, CP6, ReRef typed MISC: never features
    stem = "sub-bv_task-films"
    assert sorted(p.rsplit("/", 1)[1] for p in rec.sources) == sorted(
        f"{stem}_{s}" for s in ("eeg.vhdr", "eeg.eeg", "eeg.vmrk", "events.tsv", "channels.tsv",
                                "eeg.json"))
