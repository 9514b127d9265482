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
    from emopipe.io import DATASETS

    allowed = ", ".join(repr(d) for d in DATASETS.names())  # 'deap', 'seed_iv', ...
    assert (f"Invalid value for the 'dataset' parameter. Allowed values are {allowed}, "
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


# --------------------------------------------------------------------------
# bad input files: a named error from check and from extract, never a traceback
# --------------------------------------------------------------------------
import os  # noqa: E402
import shutil  # noqa: E402
import struct  # noqa: E402

import numpy as np  # noqa: E402

_SYNTH = {}


def _synth_root(tmp_path_factory):
    """One subject (s01) in every format: .dat, .mat, raw .bdf (1 trial), ratings CSV."""
    if "root" not in _SYNTH:
        from emopipe.io.synth.deap import write_deap_synth

        root = tmp_path_factory.mktemp("deap_bad")
        write_deap_synth(root, n_subjects=1, n_trials=2, seed=3, raw=True, raw_trials=1,
                         matlab=True)
        _SYNTH["root"] = root
    return _SYNTH["root"]


_FOLDERS = {"dat": "data_preprocessed_python", "mat": "data_preprocessed_matlab",
            "bdf": "data_original"}


def _copy(src, dst, kind):
    """A download holding s01 in one format only, with the ratings CSV."""
    (dst / _FOLDERS[kind]).mkdir(parents=True)
    shutil.copy(src / _FOLDERS[kind] / f"s01.{kind}", dst / _FOLDERS[kind])
    shutil.copytree(src / "metadata_csv", dst / "metadata_csv")
    return dst / _FOLDERS[kind] / f"s01.{kind}"


def _rewrite_dat(path, edit):
    from emopipe.io import load_pickle
    from emopipe.io.synth._pickle2 import write_py2_pickle

    obj = load_pickle(path)
    data, labels = edit(np.array(obj["data"]), np.array(obj["labels"]))
    write_py2_pickle(path, {"labels": labels, "data": data})


def _set_ratings(value):
    def edit(data, labels):
        labels[1, 0] = value  # trial 2, valence
        return data, labels
    return edit


def _neg_gsr(data, labels):
    data[0, 36] = -np.abs(data[0, 36]) - 1.0
    return data, labels


def _edit_csv(root, edit):
    csv = root / "metadata_csv" / "participant_ratings.csv"
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join(edit(lines)) + "\n")


def _csv_field(column, value, row=1):
    def edit(lines):
        header = lines[0].split(",")
        cells = lines[row].split(",")
        cells[header.index(column)] = value
        lines[row] = ",".join(cells)
        return lines
    return edit


class _Payload:
    def __reduce__(self):
        return (os.system, ("true",))


def _ops_str(text):
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _zero_stride_dat():
    shape = b"(" + b"".join(b"J" + struct.pack("<i", n) for n in (40, 40, 8064)) + b"t"
    strides = b"(" + b"J\x00\x00\x00\x00" * 3 + b"t"
    buf = b"B" + struct.pack("<I", 65536) + b"\x00" * 65536
    arr = b"cnumpy\nndarray\n(" + shape + _ops_str("<f8") + buf + b"J\x00\x00\x00\x00" + \
        strides + b"tR"
    return b"\x80\x02}(" + _ops_str("data") + arr + _ops_str("labels") + arr + b"u."


def _bdf_field(offset, text):
    def edit(path):
        with open(path, "r+b") as fid:
            fid.seek(offset)
            fid.write(text.ljust(8).encode())
    return edit


def _bdf_channel(channel, fill):
    """Overwrite one channel's samples in every data record (48 x 512 samples of 3 bytes)."""
    def edit(path):
        raw = bytearray(path.read_bytes())
        head, record = 256 * 49, 48 * 512 * 3
        for start in range(head, len(raw), record):
            at = start + channel * 512 * 3
            raw[at:at + 512 * 3] = fill * 512
        path.write_bytes(bytes(raw))
    return edit


def _truncate(n):
    def edit(path):
        path.write_bytes(path.read_bytes()[:n])
    return edit


def _replace(what):
    def edit(path):
        path.unlink()
        if what == "folder":
            path.mkdir()
        elif what == "fifo":
            os.mkfifo(path)
        elif what == "device":
            os.symlink("/dev/zero", path)
        elif what == "payload":
            import pickle

            path.write_bytes(pickle.dumps({"data": _Payload(), "labels": 1}, protocol=2))
        elif what == "deep":
            path.write_bytes(b"\x80\x02" + b"]" * 200_000 + b"a" * 199_999 + b".")
        elif what == "codec":
            path.write_bytes(b"\x80\x02}" + _ops_str("data") + b"c_codecs\nencode\n" +
                             _ops_str("abc") + _ops_str("nope") + b"\x86Rs.")
        elif what == "zero_stride":
            path.write_bytes(_zero_stride_dat())
    return edit


# (case id, file kind, edit of the file (path) or of the CSV (("csv", edit)), expected message)
BAD_INPUTS = [
    ("dat-truncated", "dat", _truncate(1000), r"s01\.dat: the pickle is truncated or corrupt"),
    ("dat-payload", "dat", _replace("payload"),
     r"s01\.dat: refused to load global '(posix|nt)\.system'"),
    ("dat-deep", "dat", _replace("deep"), r"s01\.dat: the pickle is refused: objects nested "
                                          r"more than 100 deep"),
    ("dat-codec", "dat", _replace("codec"), r"s01\.dat: _codecs\.encode\(\.\.\.\): codec 'nope'"),
    ("dat-trailing", "dat", lambda p: p.write_bytes(p.read_bytes() + b"\x00" * 7),
     r"s01\.dat: the pickle is refused: 7 trailing bytes after the pickle's STOP opcode"),
    ("dat-zero-stride", "dat", _replace("zero_stride"),
     r"s01\.dat: numpy\.ndarray\(\.\.\.\): shape \(40, 40, 8064\) of float64 declares "
     r"103219200 bytes, more than the 131\d+ bytes of the file; refused before allocating"),
    ("dat-folder", "dat", _replace("folder"), r"s01\.dat: the pickle is a folder, not a "
                                              r"regular file"),
    ("dat-fifo", "dat", _replace("fifo"), r"s01\.dat: the pickle is a FIFO \(named pipe\), not "
                                          r"a regular file"),
    ("dat-device", "dat", _replace("device"), r"s01\.dat: the pickle is a character device \(a "
                                              r"symbolic link to '/dev/zero'\)"),
    ("dat-0-trials", "dat", lambda p: _rewrite_dat(p, lambda d, lab: (d[:0], lab[:0])),
     r"s01\.dat: key 'data' holds 0 trials \(shape \(0, 40, 8064\)\)"),
    ("dat-nan-rating", "dat", lambda p: _rewrite_dat(p, _set_ratings(np.nan)),
     r"s01\.dat: trial 2 \(Experiment_id 2\) has valence = nan, outside DEAP's rating scale 1-9"),
    ("dat-inf-rating", "dat", lambda p: _rewrite_dat(p, _set_ratings(np.inf)),
     r"s01\.dat: trial 2 \(Experiment_id 2\) has valence = inf, outside DEAP's rating scale"),
    ("dat-rating-10", "dat", lambda p: _rewrite_dat(p, _set_ratings(10.0)),
     r"s01\.dat: trial 2 \(Experiment_id 2\) has valence = 10\.0, outside DEAP's rating scale"),
    ("dat-gsr-negative", "dat", lambda p: _rewrite_dat(p, _neg_gsr),
     r"s01\.dat: trial 1 \(Experiment_id 1\), channel 'GSR' holds 8064 resistance value\(s\) "
     r"<= 0 ohm"),
    ("csv-participant-inf", "dat", ("csv", _csv_field("Participant_id", "inf")),
     r"participant_ratings\.csv: line 2, column Participant_id: 'inf' is not a non-negative "
     r"integer id"),
    ("csv-no-experiment-id", "dat", ("csv", _csv_field("Experiment_id", "")),
     r"participant_ratings\.csv: line 2, column Experiment_id: '' is not a number"),
    ("csv-row-missing", "dat", ("csv", lambda lines: [lines[0]] + lines[2:]),
     r"metadata_csv/participant_ratings\.csv has no row for s01 with Experiment_id \[\d\], "
     r"which s01\.dat holds"),
    ("csv-nan-rating", "dat", ("csv", _csv_field("Arousal", "nan")),
     r"participant_ratings\.csv: line 2, column Arousal: 'nan' is outside the arousal scale "
     r"1-9 \(NaN or infinite\)"),
    ("csv-rating-0", "dat", ("csv", _csv_field("Valence", "0")),
     r"participant_ratings\.csv: line 2, column Valence: '0' is outside the valence scale 1-9"),
    ("mat-truncated", "mat", _truncate(3000), r"s01\.mat: not a readable MAT file"),
    ("mat-fifo", "mat", _replace("fifo"), r"s01\.mat: the DEAP MATLAB file is a FIFO"),
    ("bdf-duration-0", "bdf", _bdf_field(244, "0"),
     r"s01\.bdf: BDF header field 'duration of a data record' at byte offset 244 is 0\.0 s, "
     r"expected > 0"),
    ("bdf-empty-records", "bdf", _bdf_field(236, ""),
     r"s01\.bdf: BDF header field 'number of data records' at byte offset 236 holds '', "
     r"expected an integer"),
    ("bdf-garbled-samples", "bdf", _bdf_field(256 + 48 * 216, "x5"),
     r"s01\.bdf: BDF header field 'samples per record of signal 1' at byte offset 10624 holds "
     r"'x5', expected an integer"),
    ("bdf-truncated", "bdf", _truncate(100_000), r"s01\.bdf: BDF file is truncated"),
    ("bdf-flat-eeg", "bdf", _bdf_channel(0, b"\x00\x00\x00"),
     r"s01\.bdf: trial 1 \(Experiment_id \d+\), channel 'Fp1' \(index 0\) is flat"),
    ("bdf-no-status", "bdf", _bdf_channel(47, b"\x00\x00\x00"),
     r"s01\.bdf: no music-video onsets \(Status code 4 after & 0xFF\) in channel 48"),
    ("bdf-device", "bdf", _replace("device"), r"s01\.bdf: the BDF file is a character device"),
]


def _bad_root(tmp_path_factory, tmp_path, kind, edit):
    root = tmp_path / "deap"
    fname = _copy(_synth_root(tmp_path_factory), root, kind)
    if isinstance(edit, tuple):
        _edit_csv(root, edit[1])
    else:
        edit(fname)
    return root


@pytest.mark.parametrize("kind, edit, match", [c[1:] for c in BAD_INPUTS],
                         ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_a_named_error_in_check_and_extract(tmp_path_factory, tmp_path, capsys,
                                                         caplog, kind, edit, match):
    import re

    root = _bad_root(tmp_path_factory, tmp_path, kind, edit)
    args = ["--dataset", "deap", "--root", str(root)]
    # extract --strict: one paragraph naming the file, exit 1
    code = main(["extract", *args, "--cache", str(tmp_path / "c1"), "--strict"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("emopipe extract: error: ") and re.search(match, err), err
    # extract: the subject is reported (logged) and skipped, exit 1 at the end
    with caplog.at_level("ERROR", logger="emopipe"):
        code = main(["extract", *args, "--cache", str(tmp_path / "c2")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "0 subject(s) extracted, 0 already current, 1 failed" in out
    assert err.startswith("emopipe extract: error: 1 subject(s) failed and were skipped (s01)")
    reasons = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(reasons) == 1 and reasons[0].startswith("s01: skipped: "), reasons
    assert re.search(match, reasons[0]), reasons
    # check: the same problem, named, exit 1
    assert main(["check", *args]) == 1
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert re.search(match, out), out
    assert "problem(s); fix them before 'emopipe extract'" in out


def test_check_reports_what_extract_raises(tmp_path_factory, tmp_path):
    """Over every bad-file case: check's problem list holds the error extract raises."""
    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig
    from emopipe.io import DEAP
    from emopipe.utils._errors import EmopipeError

    for case, kind, edit, _ in BAD_INPUTS:
        root = _bad_root(tmp_path_factory, tmp_path / case, kind, edit)
        with pytest.raises((EmopipeError, OSError)) as info:
            run_extract(ExtractConfig(dataset="deap"), root, tmp_path / case / "c",
                        on_error="raise")
        problems = DEAP.check(root)
        assert any(str(info.value) in p for p in problems), (case, str(info.value), problems)


def test_bad_input_in_a_subprocess_shows_no_traceback(tmp_path_factory, tmp_path):
    root = _bad_root(tmp_path_factory, tmp_path, "dat", _replace("payload"))
    for cmd in (["check"], ["extract", "--cache", str(tmp_path / "c")]):
        res = _run(*cmd, "--dataset", "deap", "--root", str(root))
        assert res.returncode == 1
        assert "Traceback" not in res.stderr + res.stdout
        assert "s01.dat: refused to load global" in res.stderr + res.stdout
    # -vv shows the traceback of the same user error
    res = _run("extract", "--dataset", "deap", "--root", str(root), "--cache",
               str(tmp_path / "c"), "--strict", "-vv")
    assert res.returncode == 1 and "Traceback" in res.stderr
    assert "PickleFileError: s01.dat: refused to load global" in res.stderr


def test_misnamed_files_are_warned_about(tmp_path_factory, tmp_path, caplog, capsys):
    root = tmp_path / "deap"
    dat = _copy(_synth_root(tmp_path_factory), root, "dat")
    for name in ("S02.dat", "s3.dat", "s04.DAT"):
        shutil.copy(dat, dat.parent / name)
    with caplog.at_level("WARNING", logger="emopipe"):
        assert main(["extract", "--dataset", "deap", "--root", str(root), "--cache",
                     str(tmp_path / "c"), "--modalities", "eeg"]) == 0
    warned = [r.getMessage() for r in caplog.records if "not named like DEAP" in r.getMessage()]
    assert len(warned) == 1
    for name in ("S02.dat", "s3.dat", "s04.DAT"):
        assert (f"data_preprocessed_python/{name} (expected s01.dat ... s32.dat: a lower-case "
                f"'s', two digits, '.dat')") in warned[0]
    assert "1 subject(s) extracted" in capsys.readouterr().out
    assert main(["check", "--dataset", "deap", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "misnamed, so ignored: data_preprocessed_python/S02.dat" in out
    assert "3 problem(s)" in out


def test_a_bug_keeps_its_traceback(tmp_path_factory, tmp_path, monkeypatch):
    """A TypeError from emopipe's own code is a bug: it propagates, it is not a user error."""
    import emopipe.io.deap as deap

    root = tmp_path / "deap"
    _copy(_synth_root(tmp_path_factory), root, "dat")

    def buggy(*args, **kwargs):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(deap, "read_deap_preprocessed", buggy)
    with pytest.raises(TypeError, match=r"unsupported operand"):
        main(["extract", "--dataset", "deap", "--root", str(root), "--cache", str(tmp_path / "c")])
    with pytest.raises(TypeError, match=r"unsupported operand"):
        main(["check", "--dataset", "deap", "--root", str(root)])
    monkeypatch.setattr(deap, "read_deap_preprocessed",
                        lambda *a, **k: {}["a key a bug looked up"])
    with pytest.raises(KeyError):
        main(["extract", "--dataset", "deap", "--root", str(root), "--cache", str(tmp_path / "c")])


@pytest.mark.parametrize("argv, match", [
    (["synth", "--out", "{tmp}/x", "--subjects", "0"], r"--subjects must be >= 1, got 0\."),
    (["extract", "--dataset", "deap", "--root", "{tmp}/none"], r"--root .*/none: no such folder"),
    (["check", "--dataset", "deap", "--root", "{tmp}/file.yaml"], r"--root .*file\.yaml: not a "
                                                                  r"folder"),
    (["extract", "--dataset", "deap", "--root", "{tmp}", "--config", "{tmp}"],
     r"--config .*: not a regular file"),
    (["extract", "--dataset", "deap", "--root", "{tmp}", "--config", "{tmp}/file.yaml"],
     r"file\.yaml: the 'extract:' section must be a mapping of field -> value, got a YAML "
     r"list"),
    (["extract", "--dataset", "deap", "--root", "{tmp}", "--config", "{tmp}/bin.yaml"],
     r"bin\.yaml: not a valid YAML file"),
    (["extract", "--dataset", "deap", "--root", "{tmp}", "-j", "0"],
     r"n_jobs must be a positive int, -1 \(every CPU\) or None \(1\), got 0"),
])
def test_bad_arguments_are_named_errors(tmp_path, capsys, argv, match):
    import re

    (tmp_path / "file.yaml").write_text("extract: [1, 2]\n")
    (tmp_path / "bin.yaml").write_bytes(b"window: \xc3\x28\n")  # not UTF-8
    (tmp_path / "data_preprocessed_python").mkdir()
    shutil.copy(_SYNTH["root"] / "data_preprocessed_python" / "s01.dat",
                tmp_path / "data_preprocessed_python") if _SYNTH else None
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 1
    assert re.match(rf"emopipe \w+: error: .*{match}", err), err
    assert len(err.strip().splitlines()) == 1


def test_bdf_physical_range_past_any_amplifier_is_refused(tmp_path_factory, tmp_path, capsys):
    """Found by benchmarks/fuzz_inputs.py: a physical minimum of 1e308 (signal 8, C3 in the
    Twente order) made infinite features."""
    root = _bad_root(tmp_path_factory, tmp_path, "bdf", _bdf_field(256 + 48 * 104 + 7 * 8,
                                                                   "1e308"))
    args = ["--dataset", "deap", "--root", str(root)]
    assert main(["extract", *args, "--cache", str(tmp_path / "c"), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert ("s01.bdf: trial 1 (Experiment_id " in err and "channel 'C3' (index 6) reaches "
            in err and "no EEG, EOG or EMG amplifier records more than 1 V" in err), err
    assert main(["check", *args]) == 1
    assert "no EEG, EOG or EMG amplifier records more than 1 V" in capsys.readouterr().out


def test_datasets_lists_every_registered_dataset_with_its_facts(capsys):
    from emopipe.io import DATASETS, load_manifest

    assert main(["datasets"]) == 0
    out = capsys.readouterr().out.splitlines()
    heads = [line for line in out if not line.startswith("    ")]
    assert [h.split(":")[0] for h in heads] == DATASETS.names()
    for name, head in zip(DATASETS.names(), heads):
        n = load_manifest(name)["n_subjects"]
        assert head.startswith(f"{name}: {n} subjects x ")
    deap = out[out.index(heads[DATASETS.names().index("deap")]):][:3]
    assert "ratings 1-9, class 1 above 5" in deap[0] and "modalities eeg, eog, gsr" in deap[0]
    assert deap[1] == "    sources: auto, preprocessed_python, preprocessed_matlab, raw"
    protocols = {h.split(":")[0]: out[out.index(h) + 2] for h in heads}
    # an official split is listed for its own dataset only; cross_session needs sessions
    assert "seed_iv_16_8" not in protocols["deap"] and "cross_session" not in protocols["deap"]
    assert protocols["seed_iv"].startswith("    protocols: seed_iv_16_8, cross_session, ")
    assert "seed_9_6" not in "".join(protocols.values())  # SEED itself is not read yet
    assert "emotion: 5 classes" in heads[DATASETS.names().index("seed_v")]
