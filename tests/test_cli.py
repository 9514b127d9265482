"""The command line: start-up, errors, and the synth -> extract chain."""

import subprocess
import sys

import pytest

from emopipe import __version__
from emopipe.cli import main


def _run(*args):
    return subprocess.run([sys.executable, "-m", "emopipe", *args], capture_output=True, text=True)


def test_help_and_version():
    res = _run("--help")
    assert res.returncode == 0
    for cmd in ("synth", "check", "extract", "distill", "demo"):
        assert cmd in res.stdout
    res = _run("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"emopipe {__version__}"
    for cmd in ("synth", "check", "extract", "distill", "demo"):
        assert _run(cmd, "--help").returncode == 0


def test_unknown_dataset_exits_2_with_close_match():
    res = _run("extract", "--dataset", "deep", "--root", ".")
    assert res.returncode == 2
    assert ("Invalid value for the 'dataset' parameter. Allowed values are 'deap', "
            "but got 'deep' instead. Did you mean 'deap'?") in res.stderr


def test_synth_then_extract_fills_the_cache(tmp_path, capsys):
    root, cache = tmp_path / "deap", tmp_path / "cache"
    assert main(["synth", "--dataset", "deap", "--out", str(root), "--subjects", "2",
                 "--trials", "3", "--no-raw"]) == 0
    assert (root / "data_preprocessed_python" / "s23.dat").is_file()
    assert main(["extract", "--dataset", "deap", "--root", str(root), "--cache", str(cache),
                 "--modalities", "eeg", "eog", "gsr"]) == 0
    out = capsys.readouterr().out
    assert "2 subject(s) extracted, 0 already current" in out
    from emopipe.cache import read_cohort

    subjects = read_cohort(cache)
    assert [s.subject for s in subjects] == ["s01", "s23"]
    assert {"eeg", "eog", "gsr"} <= set(subjects[0].modalities)
    assert main(["extract", "--dataset", "deap", "--root", str(root), "--cache", str(cache),
                 "--modalities", "eeg", "eog", "gsr"]) == 0
    assert "0 subject(s) extracted, 2 already current" in capsys.readouterr().out


def test_user_error_is_one_paragraph_without_traceback(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["extract", "--dataset", "deap", "--root", str(tmp_path / "empty"),
                 "--cache", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("emopipe extract: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("bad", ["--window=-1"])
def test_bad_option_value_names_parameter(tmp_path, capsys, bad):
    code = main(["extract", "--dataset", "deap", "--root", str(tmp_path), bad])
    assert code == 1
    assert "window must be > 0, got -1.0" in capsys.readouterr().err


def test_check_reports_subset_as_info_and_truncation_as_problem(tmp_path, capsys):
    root = tmp_path / "deap"
    assert main(["synth", "--out", str(root), "--subjects", "2", "--trials", "2", "--no-raw"]) == 0
    capsys.readouterr()
    assert main(["check", "--dataset", "deap", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "info: " in out and "every file present is readable" in out
    dat = root / "data_preprocessed_python" / "s01.dat"
    dat.write_bytes(dat.read_bytes()[:500])
    assert main(["check", "--dataset", "deap", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "s01.dat" in out and "1 problem(s)" in out


def test_distill_command_reads_a_pipeline_yaml_and_flags_override_it(tmp_path, capsys):
    root, cache, run = tmp_path / "deap", tmp_path / "cache", tmp_path / "run"
    assert main(["synth", "--out", str(root), "--subjects", "3", "--trials", "4", "--no-raw"]) == 0
    assert main(["extract", "--dataset", "deap", "--root", str(root), "--cache", str(cache)]) == 0
    capsys.readouterr()
    assert main(["distill", "--config", "pipelines/distill_deap_hinton.yaml", "--cache", str(cache),
                 "--epochs", "2", "--target", "arousal", "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert f"Run folder: {run}" in out
    assert "hinton_kd / loso / arousal: 3 fold(s), seed 0" in out
    import yaml

    with open(run / "config.yaml", encoding="utf-8") as fid:
        saved = yaml.safe_load(fid)
    # the YAML's values, with the two flags on top
    assert (saved["method"], saved["teacher"], saved["batch_size"]) == (
        "hinton_kd", "eeg:de+eog:features", 1024)
    assert (saved["epochs"], saved["target"]) == (2, "arousal")
    assert main(["distill", "--cache", str(cache), "--student", "eye"]) == 1
    assert "eye" in capsys.readouterr().err


def test_synth_with_face_then_extract_fills_the_face_group(tmp_path, capsys):
    root, cache = tmp_path / "deap", tmp_path / "cache"
    assert main(["synth", "--out", str(root), "--subjects", "2", "--trials", "2", "--no-raw",
                 "--face"]) == 0
    assert (root / "face_video" / "s01" / "s01_trial01.avi").is_file()
    assert not (root / "face_video" / "s23").exists()  # Geneva subjects have no face video
    assert main(["extract", "--dataset", "deap", "--root", str(root), "--cache", str(cache),
                 "--modalities", "eeg", "eog", "gsr", "face"]) == 0
    from emopipe.cache import read_cohort

    s01, s23 = read_cohort(cache)
    assert s01.get("face", "frames").data.shape == (120, 4, 48, 48)  # 2 trials x 60 windows
    assert {"eeg", "eog", "gsr", "face"} <= set(s01.modalities)
    assert "face" not in s23.modalities and "face" in s23.attrs["missing_modalities"]


def test_synth_with_fewer_trials_than_raw_trials(tmp_path, capsys):
    """``--trials 3`` used to fail on raw_trials = 4, an option the CLI did not have."""
    import mne

    root = tmp_path / "deap"
    assert main(["synth", "--out", str(root), "--subjects", "1", "--trials", "3"]) == 0
    raw = mne.io.read_raw_bdf(root / "data_original" / "s01.bdf", verbose="error")
    events = mne.find_events(raw, stim_channel="Status", verbose="error")
    # one video-onset code (4) per presented trial: all 3 trials are in the BDF
    assert int(((events[:, 2] & 0xFF) == 4).sum()) == 3
    assert main(["synth", "--out", str(tmp_path / "two"), "--subjects", "1", "--trials", "3",
                 "--raw-trials", "2"]) == 0
    raw = mne.io.read_raw_bdf(tmp_path / "two" / "data_original" / "s01.bdf", verbose="error")
    codes = mne.find_events(raw, stim_channel="Status", verbose="error")[:, 2] & 0xFF
    assert int((codes == 4).sum()) == 2
    capsys.readouterr()
    assert main(["synth", "--out", str(tmp_path / "bad"), "--subjects", "1", "--trials", "3",
                 "--raw-trials", "5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("emopipe synth: error: raw_trials (emopipe synth --raw-trials) must "
                          "be in [1, n_trials = 3], got 5")
    assert "Traceback" not in err
