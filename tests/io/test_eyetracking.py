import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.features._base import MODALITY_EXTRACTORS
from emopipe.features._windows import WindowGrid
from emopipe.features.eye import detect_eye_events, pix_to_deg
from emopipe.io.eyetracking import (
    gaze_modality,
    read_eyelink_asc,
    read_eyelink_edf,
    read_tobii_tsv,
)
from emopipe.io.synth.eye import TOBII_COLUMNS, synth_gaze, write_eyelink_asc, write_tobii_tsv

GEOM = dict(screen_size_px=(1280, 1024), screen_size_m=(0.376, 0.301), distance_m=0.6)


def _deg_to_px(x_deg, y_deg, screen_size_px, screen_size_m, distance_m):
    """Inverse of pix_to_deg, written out independently."""
    x = np.tan(np.radians(x_deg)) * distance_m * screen_size_px[0] / screen_size_m[0]
    y = np.tan(np.radians(y_deg)) * distance_m * screen_size_px[1] / screen_size_m[1]
    return x + screen_size_px[0] / 2, y + screen_size_px[1] / 2


def _tobii_file(tmp_path, sfreq=60.0, seed=0, name="P1-Rec1-All-Data-New_Section_2.tsv"):
    gaze = synth_gaze(20.0, sfreq, seed=seed)
    x_px, y_px = _deg_to_px(gaze.gaze_x, gaze.gaze_y, **GEOM)
    pupil_mm = np.where(gaze.pupil > 0, gaze.pupil * 1e3, -1.0)
    fname = tmp_path / name
    write_tobii_tsv(fname, x_px, y_px, pupil_mm, sfreq, movie_start=3.0, movie_end=18.0)
    return fname, gaze


def test_tobii_writer_layout(tmp_path):
    fname, gaze = _tobii_file(tmp_path)
    lines = fname.read_text().splitlines()
    # 24 header lines, then the header row; lines end with a tab
    assert lines[24].split("\t") == TOBII_COLUMNS + [""]
    assert "GazePointX" in TOBII_COLUMNS and "MappedFixationPointX" in TOBII_COLUMNS
    ev = [ln.split("\t")[TOBII_COLUMNS.index("Event")] for ln in lines[25:]]
    assert [e for e in ev if e] == ["MovieStart", "MovieEnd"]
    stim = [ln.split("\t")[TOBII_COLUMNS.index("StimuliName")] for ln in lines[25:]]
    assert sum(s == "52.avi" for s in stim) == 15 * 60
    assert len(lines) == 25 + len(gaze.gaze_x) + 2


def test_read_tobii_tsv_roundtrip(tmp_path):
    sfreq = 60.0
    fname, gaze = _tobii_file(tmp_path, sfreq)
    rec = read_tobii_tsv(fname)
    assert rec.sfreq == 60.0 and rec.screen_size_px == (1280, 1024)
    # cropped to [MovieStart, MovieEnd): 15 s
    assert rec.n_times == 15 * 60
    assert rec.stimulus == pytest.approx((0.0, 15.0), abs=1e-3)
    assert rec.ch_names == ["gaze_x", "gaze_y", "pupil_left", "pupil_right"]
    sl = slice(180, 1080)
    x_deg, y_deg = pix_to_deg(rec.gaze_x, rec.gaze_y, **GEOM)
    ok = np.isfinite(gaze.gaze_x[sl])
    assert np.array_equal(np.isfinite(rec.gaze_x), ok)
    # positions written as whole pixels: within half a pixel (< 0.02 deg)
    assert_allclose(x_deg[ok], gaze.gaze_x[sl][ok], atol=0.02)
    assert_allclose(y_deg[ok], gaze.gaze_y[sl][ok], atol=0.02)
    assert_allclose(rec.pupil[0][ok], gaze.pupil[sl][ok], rtol=1e-6)
    assert np.all(np.isnan(rec.pupil[:, ~ok]))
    # baseline keeps 2 s before MovieStart
    rec_b = read_tobii_tsv(fname, baseline=2.0)
    assert rec_b.n_times == 17 * 60 and rec_b.stimulus == pytest.approx((2.0, 17.0), abs=1e-3)
    rec_all = read_tobii_tsv(fname, start_event=None)
    assert rec_all.n_times == 20 * 60 and rec_all.stimulus is None


def test_tobii_to_events_end_to_end(tmp_path):
    fname, gaze = _tobii_file(tmp_path, 120.0, seed=1)
    rec = read_tobii_tsv(fname, start_event=None)
    assert rec.sfreq == 120.0
    x, y = pix_to_deg(rec.gaze_x, rec.gaze_y, **GEOM)
    fix, _, blk = detect_eye_events(x, y, rec.pupil[0], rec.sfreq)
    assert len(blk["onset"]) == len(gaze.truth["blinks"]["onset"])
    n_true = len(gaze.truth["fixations"]["onset"])
    hits = sum(np.min(np.abs(fix["onset"] - t)) <= 0.02 for t in gaze.truth["fixations"]["onset"])
    assert hits >= 0.9 * n_true and len(fix["onset"]) <= 1.1 * n_true
    # the "eye" extractor works on px with the screen geometry
    mod = gaze_modality([rec, rec])
    grid = WindowGrid.from_duration([20.0, 20.0], 4.0)
    out = MODALITY_EXTRACTORS.get("eye")(mod, grid, dict(GEOM))
    assert out["eye_features"].data.shape == (10, 35)
    assert out["eye_features"].attrs["pupil_channels"] == ["pupil_left", "pupil_right"]


def test_tobii_errors_name_the_file(tmp_path):
    fname, _ = _tobii_file(tmp_path)
    with pytest.raises(ValueError, match=r"Section_2\.tsv: event 'StimStart' not found; "
                                         r"events in the file: \['MovieEnd', 'MovieStart'\]"):
        read_tobii_tsv(fname, start_event="StimStart")
    with pytest.raises(ValueError, match="baseline = 5.0 s before 'MovieStart'"):
        read_tobii_tsv(fname, baseline=5.0)
    bad = tmp_path / "bad.tsv"
    bad.write_text("\n" * 30 + "a\tb\n")
    with pytest.raises(ValueError, match=r"bad\.tsv: no header row with a 'GazePointX' column"):
        read_tobii_tsv(bad)
    lines = fname.read_text().splitlines()
    lines[24] = lines[24].replace("PupilLeft", "PupilL")
    bad.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=r"bad\.tsv: columns \['PupilLeft'\] missing"):
        read_tobii_tsv(bad)
    with pytest.raises(FileNotFoundError, match="nothere.tsv"):
        read_tobii_tsv(tmp_path / "nothere.tsv")


def test_read_eyelink_asc(tmp_path):
    sfreq = 500.0
    gaze = synth_gaze(6.0, sfreq, seed=2)
    x_px, y_px = _deg_to_px(gaze.gaze_x, gaze.gaze_y, screen_size_px=(1920, 1080),
                            screen_size_m=(0.53, 0.30), distance_m=0.7)
    area = np.where(gaze.pupil > 0, 1200.0, 0.0)
    blinks = list(zip(gaze.truth["blinks"]["onset"], gaze.truth["blinks"]["duration"]))
    fname = write_eyelink_asc(tmp_path / "sub01.asc", x_px, y_px, area, sfreq,
                              messages=[(1.0, "MovieStart"), (5.0, "MovieEnd")], blinks=blinks)
    rec = read_eyelink_asc(fname)
    assert rec.sfreq == 500.0 and rec.n_times == len(x_px)
    assert rec.ch_names == ["gaze_x", "gaze_y", "pupil_left"] and rec.pupil_unit == "a.u."
    ok = np.isfinite(gaze.gaze_x)
    assert np.array_equal(np.isfinite(rec.gaze_x), ok)
    assert_allclose(rec.gaze_x[ok], x_px[ok], atol=0.05)      # written with 0.1-px resolution
    assert_allclose(rec.pupil[0][ok], 1200.0)
    names = [e for _, e in rec.events]
    assert names.count("BAD_blink") == len(blinks)
    t_start = [t for t, e in rec.events if e == "MovieStart"][0]
    assert t_start == pytest.approx(1.0)
    cropped = read_eyelink_asc(fname, start_event="MovieStart", end_event="MovieEnd")
    assert cropped.n_times == 2000 and cropped.stimulus == pytest.approx((0.0, 4.0))
    assert_allclose(cropped.gaze_x[ok[500:2500]], x_px[500:2500][ok[500:2500]], atol=0.05)


def test_eyelink_errors(tmp_path):
    bad = tmp_path / "empty.asc"
    bad.write_text("** DATE: Wed Mar 15 10:00:00 2023\n")
    with pytest.raises(ValueError, match=r"empty\.asc: MNE could not parse"):
        read_eyelink_asc(bad)
    try:
        import eyelinkio  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"rec\.edf needs the optional package eyelinkio"):
            read_eyelink_edf(tmp_path / "rec.edf")


def test_gaze_modality_checks_channels_and_rate(tmp_path):
    fname, _ = _tobii_file(tmp_path)
    rec = read_tobii_tsv(fname)
    mod = gaze_modality([rec, rec])
    assert mod.n_trials == 2 and mod.unit == "px" and mod.source_unit == "gaze px, pupil m"
    assert mod.trial(0).shape == (4, 900)
    other = read_tobii_tsv(fname)
    other.sfreq = 120.0
    with pytest.raises(ValueError, match=r"Section_2\.tsv: channels .* at 120\.0 Hz differ"):
        gaze_modality([rec, other])
    with pytest.raises(ValueError, match="recordings is empty"):
        gaze_modality([])
