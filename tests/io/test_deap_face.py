"""DEAP face video: lazy per-trial reading, trial mapping, the cache's face group.

The synthetic cohort has s01 (Twente, face videos) and s23 (Geneva, none), 2
trials each; s01's presentation order is (Experiment_id 2, 1), so a reader
that ignored participant_ratings.csv would pick the wrong file for both trials.
"""

import csv
import json
import logging
import re
import shutil

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from emopipe.cache import read_features, run_extract
from emopipe.features._base import MODALITY_EXTRACTORS
from emopipe.features.extract import ExtractConfig, make_grid
from emopipe.io import DEAP, load_manifest, read_video_frames
from emopipe.io import deap as deap_mod
from emopipe.io._video import _LazyVideo
from emopipe.io.synth.deap import write_deap_synth
from emopipe.io.synth.face import write_face_video
from emopipe.utils._errors import DataFileError

pytest.importorskip("cv2")

FPS = 5.0
N_TRIALS = 2
N_FRAMES = 315  # 63 s at 5 fps
# frames_per_window = 2 in a 5-frame window: middles of two 2.5-frame blocks -> 1 and 3
OFFSETS = np.array([1, 3])


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("deap_face")
    truth = write_deap_synth(root, n_subjects=2, n_trials=N_TRIALS, seed=3, raw=True,
                             raw_trials=N_TRIALS, face=True, face_fps=FPS)
    return root, truth


def _copy(cohort, tmp_path):
    root, truth = cohort
    dst = tmp_path / "deap"
    shutil.copytree(root, dst)
    return dst, truth


def _presentation_from_csv(root, subject):
    """Experiment_id -> Trial, read from the CSV independently of the reader."""
    num = int(subject[1:])
    with open(root / "metadata_csv" / "participant_ratings.csv", newline="") as fh:
        return {int(r["Experiment_id"]): int(r["Trial"]) for r in csv.DictReader(fh)
                if int(r["Participant_id"]) == num}


def _face_mask(face_video):
    mask = np.zeros(N_FRAMES, bool)
    for a, b in face_video["face_frame_ranges"]:
        mask[a:b] = True
    return mask


def test_synth_writes_face_videos_for_twente_only(cohort):
    root, truth = cohort
    assert sorted(p.name for p in (root / "face_video").iterdir()) == ["s01"]
    assert sorted(p.name for p in (root / "face_video" / "s01").iterdir()) == [
        "s01_trial01.avi", "s01_trial02.avi"]
    assert truth["subjects"]["s01"]["presentation_order"] == [2, 1]
    on_disk = json.loads((root / "ground_truth.json").read_text())
    assert on_disk["face"]["fps"] == FPS and on_disk["face"]["n_frames"] == N_FRAMES
    for e, trial in ((1, 2), (2, 1)):
        fv = on_disk["subjects"]["s01"]["trials"][e - 1]["face_video"]
        assert fv["file"] == f"face_video/s01/s01_trial{trial:02d}.avi"
        assert fv["background_level"] == 60.0 + 3.0 * (trial - 1)
        frames, fps = read_video_frames(root / fv["file"])
        assert frames.shape == (N_FRAMES, 120, 160) and fps == FPS
        # the background level identifies the file (levels 3 apart): mean of the frames
        # without a face; measured -0.45 to -0.61 grey levels off (MJPG, cubic blobs) over 6
        # seeds, SD 0.05
        assert abs(frames[~_face_mask(fv)].mean() - fv["background_level"]) < 1.0
    assert "face_video" not in on_disk["subjects"]["s23"]["trials"][0]


def test_manifest_states_the_face_layout_the_reader_uses():
    man = load_manifest("deap")
    pattern = f"{deap_mod.FACE_FOLDER}/{{subject}}/{deap_mod.FACE_FILE}"
    assert man["files"]["face_video"] == man["face_video"]["file"] == pattern
    assert pattern.format(subject="s07", trial=3) == "face_video/s07/s07_trial03.avi"
    assert man["face_video"]["subjects"] == man["sites"]["twente"] == ["s01", "s22"]
    assert (man["face_video"]["trial_numbering"], man["face_video"]["start"]) == (
        "presentation", "baseline")


@pytest.mark.parametrize("source", ["preprocessed_python", "raw"])
def test_face_videos_follow_presentation_order(cohort, source):
    root, truth = cohort
    rec = DEAP.read_subject(root, "s01", source=source)
    face = rec.modalities["face"]
    assert face.sfreq == FPS and face.unit == "a.u."
    assert face.dims == ("trial", "time", "height", "width")
    assert face.n_trials == N_TRIALS and "face" not in rec.missing
    trial_of = _presentation_from_csv(root, "s01")
    assert trial_of == {1: 2, 2: 1}
    for t, e in enumerate(rec.trial_ids):
        video = face.data[t]
        assert video.fname.name == f"s01_trial{trial_of[int(e)]:02d}.avi"
        assert (video.ndim, video.shape, len(video)) == (3, (N_FRAMES, 120, 160), N_FRAMES)
        assert str(video.fname.resolve()) in rec.sources
    assert len(rec.sources) == 1 + N_TRIALS


def test_videos_are_left_alone_when_face_is_not_wanted(cohort, tmp_path):
    # a truncated video would raise if it were opened: an EEG-only read never touches it
    root, _ = _copy(cohort, tmp_path)
    fname = root / "face_video/s01/s01_trial02.avi"
    fname.write_bytes(fname.read_bytes()[:100])
    rec = DEAP.read_subject(root, "s01", modalities=("eeg", "eog"))
    assert "face" not in rec.modalities and "face" not in rec.missing
    assert [Path(p).name for p in rec.sources] == ["s01.dat"]
    with pytest.raises(ValueError, match=r"s01_trial02\.avi"):
        DEAP.read_subject(root, "s01", modalities=("eeg", "face"))


def test_lazy_video_decodes_only_requested_frames(tmp_path):
    path = tmp_path / "clip.avi"
    write_face_video(path, n_frames=40, face_frames=range(10, 20), fps=FPS, seed=2)
    full, _ = read_video_frames(path)
    video = _LazyVideo(path)
    assert (video.ndim, video.shape, len(video), video.fps) == (3, (40, 120, 160), 40, FPS)
    assert video.n_retrieved == 0  # opening reads the container, no frame
    idx = np.array([[7, 3], [3, 38]])
    got = video[idx]
    assert got.shape == (2, 2, 120, 160) and got.dtype == np.uint8
    assert_array_equal(got, full[idx])
    assert video.n_retrieved == 3  # frames 3, 7, 38, each once
    assert_array_equal(video[-1], full[39])
    assert_array_equal(np.asarray(video), full)
    with pytest.raises(IndexError, match=r"clip\.avi: frame 40 is out of range for a video of "
                                         r"40 frames"):
        video[np.array([0, 40])]


def test_extractor_reads_the_right_frames_lazily(cohort, monkeypatch):
    root, truth = cohort
    rec = DEAP.read_subject(root, "s01")
    grid = make_grid(rec, ExtractConfig(dataset="deap"))
    asked = []
    decode = _LazyVideo._decode

    def spy(self, wanted):
        asked.append((self.fname.name, len(wanted)))
        return decode(self, wanted)

    monkeypatch.setattr(_LazyVideo, "_decode", spy)
    out = MODALITY_EXTRACTORS.get("face")(rec.modalities["face"], grid,
                                          {"frames_per_window": 2, "detect": False})
    frames = out["frames"].data  # whole frames resized, no detection
    assert frames.shape == (2 * 60, 2, 48, 48)
    # one decode per trial, of the 2 x 60 sampled frames only (not the 315)
    assert asked == [("s01_trial02.avi", 120), ("s01_trial01.avi", 120)]
    import cv2

    for t, e in enumerate(rec.trial_ids):
        fv = truth["subjects"]["s01"]["trials"][int(e) - 1]["face_video"]
        full, _ = read_video_frames(root / fv["file"])
        for w in (0, 29, 59):
            start = round((3.0 + w) * FPS)
            expected = [cv2.resize(full[start + o], (48, 48), interpolation=cv2.INTER_AREA)
                        for o in OFFSETS]
            assert_array_equal(frames[60 * t + w], np.stack(expected))


def test_run_extract_fills_the_face_group(cohort, tmp_path):
    root, truth = cohort
    cfg = ExtractConfig(dataset="deap", modalities=("eeg", "face"),
                        modality_params={"face": {"frames_per_window": 2, "max_hold": 0}})
    summary = run_extract(cfg, root, tmp_path / "cache")
    assert summary["written"] == ["s01", "s23"]
    sub = read_features(tmp_path / "cache" / "s01.h5")
    frames, found = sub.get("face", "frames"), sub.get("face", "face_found")
    n_windows = N_TRIALS * 60
    assert frames.data.shape == (n_windows, 2, 48, 48) and frames.data.dtype == np.uint8
    assert list(frames.dims) == ["window", "time", "height", "width"]
    assert found.data.shape == (n_windows,)
    # planted: face in whole seconds of the video of the trial's presentation position
    trial, onset = sub.windows["trial"], sub.windows["onset"]
    planted, wrong_file = [], []
    for e, on in zip(trial, onset):
        idx = round((3.0 + on) * FPS) + OFFSETS
        right = truth["subjects"]["s01"]["trials"][int(e) - 1]["face_video"]
        planted.append(_face_mask(right)[idx])
        # the file a reader ignoring participant_ratings would open (trialYY = Experiment_id)
        other = truth["subjects"]["s01"]["trials"][2 - int(e)]["face_video"]
        wrong_file.append(_face_mask(other)[idx])
    planted, wrong_file = np.array(planted), np.array(wrong_file)
    assert set(planted.mean(axis=1)) == {0.0, 1.0}  # whole seconds: windows all face or none
    # measured over seeds 3-5: 3-6 of 720 sampled frames missed by the Haar cascade, no false
    # detection; allow 2 % of the 240 sampled frames here
    assert np.abs(found.data - planted.mean(axis=1)).sum() * 2 <= 0.02 * planted.size
    assert np.abs(found.data - wrong_file.mean(axis=1)).sum() * 2 > 0.3 * planted.size
    assert np.all(frames.data[found.data == 0] == 0)
    assert frames.data[found.data == 1].mean() > 20  # crops of the face photo, not zeros
    sources = {s["path"].rsplit("/", 1)[-1]: s for s in sub.attrs["sources"]}
    assert sorted(sources) == ["s01.dat", "s01_trial01.avi", "s01_trial02.avi"]
    assert sources["s01_trial01.avi"]["size"] == (root / "face_video/s01/s01_trial01.avi"
                                                  ).stat().st_size
    assert len(sources["s01_trial01.avi"]["sha256"]) == 64
    assert sub.missing == {}
    geneva = read_features(tmp_path / "cache" / "s23.h5")
    assert "face" not in geneva.modalities and "eeg" in geneva.modalities
    assert "no face_video/s23/ folder" in geneva.missing["face"]
    assert "s01-s22 only" in geneva.missing["face"]


def test_missing_trial_video_marks_face_missing(cohort, tmp_path, caplog):
    root, _ = _copy(cohort, tmp_path)
    (root / "face_video/s01/s01_trial01.avi").unlink()
    with caplog.at_level(logging.WARNING, logger="emopipe.io.deap"):
        rec = DEAP.read_subject(root, "s01")
    assert "face" not in rec.modalities and "eeg" in rec.modalities
    why = rec.missing["face"]
    assert str(root / "face_video" / "s01") in why
    assert "lacks 1 of the 2 trial videos: s01_trial01.avi" in why
    assert "restore the files" in why
    assert any("face skipped" in r.getMessage() for r in caplog.records)
    assert not any(s.endswith(".avi") for s in rec.sources)
    problems = DEAP.check(root)
    assert ("face_video/s01: 1 of 2 trial videos absent (s01_trial01.avi); face will be "
            "missing for s01") in problems
    # without participant_ratings.csv, preprocessed trials cannot be matched to the files
    (root / "metadata_csv/participant_ratings.csv").unlink()
    rec = DEAP.read_subject(root, "s01", source="preprocessed_python")
    assert "face" not in rec.modalities
    assert "participant_ratings.csv is absent" in rec.missing["face"]


def test_truncated_or_corrupt_video_names_the_file(cohort, tmp_path):
    root, _ = _copy(cohort, tmp_path)
    fname = root / "face_video/s01/s01_trial02.avi"
    data = fname.read_bytes()
    fname.write_bytes(data[: len(data) // 2])
    video = _LazyVideo(fname)  # the header still declares every frame
    assert len(video) == N_FRAMES
    with pytest.raises(ValueError, match=r"s01_trial02\.avi: decoding stopped after \d+ frames "
                                         r"but the container declares 315"):
        video[np.array([N_FRAMES - 1])]
    match = r"s01_trial02\.avi: the last of the 315 frames .* truncated or corrupt"
    with pytest.raises(ValueError, match=match):
        DEAP.read_subject(root, "s01")
    config = ExtractConfig(dataset="deap", modalities=("eeg", "face"), subjects=("s01",))
    with pytest.raises(ValueError, match=match):
        run_extract(config, root, tmp_path / "cache", on_error="raise")
    summary = run_extract(config, root, tmp_path / "cache")  # default: reported and skipped
    assert summary["written"] == [] and re.search(match, summary["failed"]["s01"])
    assert any(p.startswith("face_video/s01/s01_trial02.avi: ") and "truncated" in p
               for p in DEAP.check(root))
    fname.write_bytes(data)  # repaired; now a file that is no video at all
    garbage = root / "face_video/s01/s01_trial01.avi"
    garbage.write_bytes(b"not a video" * 50)
    with pytest.raises(ValueError, match=r"s01_trial01\.avi: OpenCV cannot open this video "
                                         r"\(550 bytes\)"):
        DEAP.read_subject(root, "s01")
    assert any(p.startswith("face_video/s01/s01_trial01.avi: OpenCV cannot open")
               for p in DEAP.check(root))


def test_check_reports_what_extract_refuses_in_face_videos(cohort, tmp_path):
    """Another frame rate, or a video corrupt mid-file: check names it as extract does."""
    root, _ = _copy(cohort, tmp_path)
    other = root / "face_video/s01/s01_trial02.avi"
    write_face_video(other, n_frames=2 * N_FRAMES, face_frames=range(0), fps=2 * FPS, seed=4)
    with pytest.raises(DataFileError, match=r"face_video/s01: face videos have different frame "
                                            r"rates \[5\.0, 10\.0\] fps"):
        DEAP.read_subject(root, "s01")
    assert any(p.startswith("face_video/s01: face videos have different frame rates [5.0, "
                            "10.0] fps") for p in DEAP.check(root))
    # corrupt mid-file: the header and the first and last frames intact, frames between zeroed
    shutil.copy(cohort[0] / "face_video/s01/s01_trial02.avi", other)
    raw = bytearray(other.read_bytes())
    mid = len(raw) // 2
    raw[mid - 20_000:mid + 20_000] = b"\x00" * 40_000
    other.write_bytes(bytes(raw))
    _LazyVideo(other).probe()  # first and last frame still decode
    with pytest.raises(DataFileError, match=r"s01_trial02\.avi: decoding stopped after \d+ "
                                            r"frames but the container declares 315"):
        _LazyVideo(other).verify()
    assert any(p.startswith("face_video/s01/s01_trial02.avi: decoding stopped after")
               for p in DEAP.check(root))
