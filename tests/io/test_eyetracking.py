import logging
import os

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.features._base import MODALITY_EXTRACTORS
from emopipe.features._windows import WindowGrid
from emopipe.features.eye import detect_eye_events, pix_to_deg
from emopipe.io._types import Modality
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


# --------------------------------------------------------------------------
# a real EyeLink recording (MNE's test file; binocular, 500 Hz, with the tracker's own parse)

def _real_asc(real_data_dir):
    return os.path.join(real_data_dir, "eyelink-asc", "test_eyelink.asc")


def _asc_text_parse(fname):
    """The ASC file parsed as text, independently of MNE and emopipe.

    Returns the first sample's timestamp (ms), the samples as rows of
    ``(x_l, y_l, p_l, x_r, y_r, p_r)`` (NaN for ``.``), the tracker's events
    ``{("EBLINK" | "ESACC", "L" | "R"): [(start_ms, end_ms, dur_ms), ...]}``
    and the ``RES`` (px/deg) of the ``END`` line.
    """
    rows, t, events, res = [], [], {}, None
    with open(fname) as fid:
        for line in fid:
            parts = line.split()
            if not parts:
                continue
            if parts[0].isdigit():
                t.append(int(parts[0]))
                rows.append([np.nan if v == "." else float(v) for v in parts[1:7]])
            elif parts[0] in ("EBLINK", "ESACC"):
                events.setdefault((parts[0], parts[1]), []).append(
                    tuple(int(v) for v in parts[2:5]))
            elif parts[0] == "END":
                res = (float(parts[-2]), float(parts[-1]))
    t = np.array(t)
    assert np.all(np.diff(t) == 2)  # 500 Hz without a gap: sample k at t[0] + 2 k ms
    return t[0], np.array(rows), events, res


def _geometry(res, screen_size_px):
    """Screen size at 1 m that gives the tracker's own px/deg at the screen centre.

    Near the centre ``pix_to_deg`` maps ``W_px / W_m * distance_m * pi / 180`` px
    to one degree; EyeLink reports that resolution in the END line.
    """
    w, h = screen_size_px
    return dict(screen_size_m=(w * np.pi / 180 / res[0], h * np.pi / 180 / res[1]),
                distance_m=1.0)


def _edited_copy(src, dst, t_range, edit):
    """Copy of the ASC with ``edit(columns)`` applied to the sample lines in ``t_range`` (s)."""
    with open(src) as fid:
        lines = fid.read().splitlines()
    t0 = next(int(ln.split("\t")[0]) for ln in lines if ln[:1].isdigit())
    out = []
    for ln in lines:
        if ln[:1].isdigit():
            cols = ln.split("\t")
            if t_range[0] <= (int(cols[0]) - t0) / 1000 < t_range[1]:
                ln = "\t".join(edit(cols))
        out.append(ln)
    dst.write_text("\n".join(out) + "\n")
    return dst


def _onset_match(det, ref, tol):
    """Greedy one-to-one matching of onsets within ``tol``: number matched."""
    used, n = set(), 0
    for t in ref:
        cands = [(abs(d - t), i) for i, d in enumerate(det) if i not in used and abs(d - t) <= tol]
        if cands:
            used.add(min(cands)[1])
            n += 1
    return n


def test_eyelink_real_screen_eyes_and_sources(real_data_dir, caplog):
    fname = _real_asc(real_data_dir)
    _, rows, _, _ = _asc_text_parse(fname)
    lost_l = np.isnan(rows[:, 0]) | (rows[:, 2] <= 0)
    lost_r = np.isnan(rows[:, 3]) | (rows[:, 5] <= 0)
    with caplog.at_level(logging.INFO, logger="emopipe.io.eyetracking"):
        rec = read_eyelink_asc(fname)
    # "GAZE_COORDS 0.00 0.00 1919.00 1079.00" in the file
    assert rec.screen_size_px == (1920, 1080)
    assert rec.ch_names == ["gaze_x", "gaze_y", "pupil_left", "pupil_right"]
    assert rec.sfreq == 500.0 and rec.n_times == len(rows) == 30236
    info = rec.eye_info
    assert info["eye"] == "auto" and info["eyes_in_file"] == ["left", "right"]
    # the right eye is lost less often (285 against 557 samples): it is the primary eye
    assert (lost_l.sum(), lost_r.sum()) == (557, 285) and info["primary"] == "right"
    # every sample lost by both eyes is lost; a sample is NaN exactly when its source is 0
    src = rec.eye_source
    assert set(np.unique(src)) <= {0, 1, 2, 3}
    assert np.all(src[lost_r & lost_l] == 0)
    assert np.array_equal(np.isnan(rec.gaze_x), src == 0)
    both_ok = ~lost_l & ~lost_r
    dist = np.hypot(rows[:, 0] - rows[:, 3], rows[:, 1] - rows[:, 4])
    agree = both_ok & (dist <= 100)
    assert_allclose(rec.gaze_x[agree], (rows[agree, 0] + rows[agree, 3]) / 2, atol=1e-9)
    assert info["n_disagree"] == int((both_ok & (dist > 100)).sum())
    assert info["n_samples"]["mean"] == int(agree.sum())
    assert "eye='auto' (eyes in file: left+right): gaze from auto, primary right" in caplog.text
    # per eye: that eye's samples, its pupil only
    left = read_eyelink_asc(fname, eye="left")
    assert left.ch_names == ["gaze_x", "gaze_y", "pupil_left"]
    assert np.array_equal(np.isnan(left.gaze_x), lost_l)
    assert_allclose(left.gaze_x[~lost_l], rows[~lost_l, 0])
    assert_allclose(left.pupil[0][~lost_l], rows[~lost_l, 2])
    with pytest.raises(ValueError, match=r"Invalid value for the 'eye' parameter.*'lefft'"):
        read_eyelink_asc(fname, eye="lefft")


@pytest.mark.parametrize("eye, code", [("left", "L"), ("right", "R")])
def test_eyelink_real_blinks_and_saccades_match_the_tracker(real_data_dir, eye, code):
    """emopipe's events of one eye against the EyeLink's own EBLINK / ESACC of that eye.

    Blinks: in an EyeLink ASCII file the samples of a tracker blink are exactly
    the ones written as ``.`` (checked below), and emopipe's blink is a missing
    run of ``max_gap`` to ``max_blink`` s; so emopipe must find exactly the
    tracker's blinks of that duration (7 of 14 left, 1 of 12 right at the
    default 75 ms; EyeLink calls any pupil loss a blink), each onset within
    one sample. With ``max_gap`` below the shortest tracker blink (12 ms) it
    must find all of them.

    Saccades: emopipe's I-VT (30 deg/s, 20-ms centred difference) against
    EyeLink's parser (30 deg/s plus 8000 deg/s**2, its own filter), on the
    tracker saccades without a missing sample (emopipe by definition puts no
    saccade across a blink: 111 left, 115 right). Measured: recall 0.93 / 0.93,
    precision 0.94 / 0.91, onsets matching to the sample; the misses are small
    saccades near the threshold. The bound 0.85 allows about twice the
    measured misses; a geometry off by 2x (angles halved) gives recall 0.72.
    """
    fname = _real_asc(real_data_dir)
    t0, rows, events, res = _asc_text_parse(fname)
    rec = read_eyelink_asc(fname, eye=eye)
    geo = _geometry(res, rec.screen_size_px)
    x, y = pix_to_deg(rec.gaze_x, rec.gaze_y, screen_size_px=rec.screen_size_px, **geo)
    lost = np.isnan(rec.gaze_x)
    blinks = events[("EBLINK", code)]
    # the tracker's blink samples are the missing samples, run for run
    mask = np.zeros(len(rows), bool)
    for start, end, _ in blinks:
        mask[(start - t0) // 2:(end - t0) // 2 + 1] = True
    assert np.array_equal(mask, lost)
    onsets = np.array([(start - t0) / 1000 for start, _, _ in blinks])
    durs = np.array([dur / 1000 for _, _, dur in blinks])
    for max_gap in (0.075, 0.01):
        _, _, blk = detect_eye_events(x, y, rec.pupil[0], rec.sfreq, max_gap=max_gap)
        want = onsets[durs >= max_gap]
        assert len(blk["onset"]) == len(want)
        assert_allclose(blk["onset"], want, atol=1 / rec.sfreq + 1e-9)
        assert_allclose(blk["duration"], durs[durs >= max_gap], atol=1e-9)
    assert {"left": 7, "right": 1}[eye] == int((durs >= 0.075).sum())

    _, sacc, _ = detect_eye_events(x, y, rec.pupil[0], rec.sfreq)
    ref = [(s - t0) / 1000 for s, e, _ in events[("ESACC", code)]
           if not lost[(s - t0) // 2:(e - t0) // 2 + 1].any()]
    assert len(ref) == {"left": 111, "right": 115}[eye]
    n = _onset_match(sacc["onset"], ref, tol=0.01)
    assert n / len(ref) >= 0.85 and n / len(sacc["onset"]) >= 0.85


def test_eyelink_auto_ignores_an_eye_off_screen(real_data_dir, tmp_path):
    """Planted: the left eye's x moved 1500 px right (off the 1920-px screen) for 20-22 s.

    Averaging the eyes ("both") jumps by 750 px at 20 s and 22 s: two false
    saccades. "auto" takes the on-screen right eye there and finds the
    saccades of the unedited file.
    """
    fname = _real_asc(real_data_dir)

    def shift(cols):
        if cols[1].strip() != ".":
            cols[1] = f"{float(cols[1]) + 1500:7.1f}"
        return cols

    edited = _edited_copy(fname, tmp_path / "off.asc", (20.0, 22.0), shift)
    _, _, _, res = _asc_text_parse(fname)

    def saccades(path, eye):
        rec = read_eyelink_asc(path, eye=eye)
        x, y = pix_to_deg(rec.gaze_x, rec.gaze_y, screen_size_px=rec.screen_size_px,
                          **_geometry(res, rec.screen_size_px))
        pupil = np.fmax(rec.pupil[0], rec.pupil[-1])
        return rec, detect_eye_events(x, y, pupil, rec.sfreq)[1]["onset"]

    def near_edges(onsets):
        return [t for t in onsets if min(abs(t - 20.0), abs(t - 22.0)) < 0.02]

    _, orig_both = saccades(fname, "both")
    _, both = saccades(edited, "both")
    assert near_edges(orig_both) == [] and len(near_edges(both)) == 2
    assert len(both) == len(orig_both) + 2
    _, orig_auto = saccades(fname, "auto")
    rec, auto = saccades(edited, "auto")
    assert near_edges(auto) == [] and len(auto) == len(orig_auto)
    # the 1000 samples of 20-22 s come from the right eye (both eyes seen, far apart)
    sl = slice(10000, 11000)
    assert np.all(rec.eye_source[sl][np.isfinite(rec.gaze_x[sl])] == 2)
    assert rec.eye_info["n_disagree"] >= 1000


def test_eyelink_auto_counts_a_blink_of_the_primary_eye(real_data_dir, tmp_path):
    """Planted: a 100-ms loss of the right (primary) eye at 30 s, the left eye still seen.

    "both" sees no blink (one eye is tracked); "auto" and "right" see it.
    """
    fname = _real_asc(real_data_dir)

    def close_right(cols):
        cols[4], cols[5], cols[6] = "   .", "   .", "    0.0"
        return cols

    edited = _edited_copy(fname, tmp_path / "blink.asc", (30.0, 30.1), close_right)

    def blinks(path, eye):
        rec = read_eyelink_asc(path, eye=eye)
        pupil = np.fmax(rec.pupil[0], rec.pupil[-1])
        x, y = rec.gaze_x / 46.0, rec.gaze_y / 46.0  # px to deg at the file's RES, roughly
        on = detect_eye_events(x, y, pupil, rec.sfreq, max_gap=0.01)[2]["onset"]
        return rec, [round(t, 3) for t in on if 29.0 < t < 31.0], len(on)

    _, planted, n_orig = blinks(fname, "auto")
    assert planted == [] and n_orig == 12  # the right eye's 12 tracker blinks
    rec, planted, n = blinks(edited, "auto")
    assert rec.eye_info["primary"] == "right"
    assert planted == [30.0] and n == n_orig + 1
    assert blinks(edited, "right")[1] == [30.0]
    assert blinks(edited, "both")[1] == []


def test_eyelink_pipeline_yields_pupil_features_on_a_real_recording(real_data_dir):
    fname = _real_asc(real_data_dir)
    _, rows, _, res = _asc_text_parse(fname)
    rec = read_eyelink_asc(fname)
    mod = gaze_modality([rec])
    grid = WindowGrid.from_duration([60.0], 4.0)
    params = dict(screen_size_px=rec.screen_size_px, **_geometry(res, rec.screen_size_px))
    out = MODALITY_EXTRACTORS.get("eye")(mod, grid, params)
    feats = out["eye_features"]
    assert feats.data.shape == (15, 35) and np.all(np.isfinite(feats.data))
    names = feats.attrs["feature_names"]
    assert feats.attrs["pupil_channels"] == ["pupil_left", "pupil_right"]
    # pupil_a = left: mean over the window's valid samples, from the text of the file
    for w in (0, 7, 14):
        p = rows[w * 2000:(w + 1) * 2000, 2]
        assert_allclose(feats.data[w, names.index("pupil_a_mean")], p[p > 0].mean(), rtol=1e-12)
        p = rows[w * 2000:(w + 1) * 2000, 5]
        assert_allclose(feats.data[w, names.index("pupil_b_mean")], p[p > 0].mean(), rtol=1e-12)
    assert np.all(feats.data[:, names.index("pupil_a_de_0-0.2Hz")] > 0)


def test_read_eyelink_edf_with_eyelinkio_channel_names(real_data_dir, monkeypatch):
    """eyelinkio's to_mne() names the pupils ps_left / ps_right (type 'pupil').

    eyelinkio itself is optional; a stand-in module returns MNE's parse of the
    real ASCII file renamed the way eyelinkio names it, with eyelinkio's
    ``info["screen_coords"]`` and its ``(raw, calibrations)`` return.
    """
    import sys
    import types

    import mne

    fname = _real_asc(real_data_dir)
    ref = read_eyelink_asc(fname)

    def read_edf(path):
        raw = mne.io.read_raw_eyelink(fname, verbose="error")
        raw.rename_channels({"pupil_left": "ps_left", "pupil_right": "ps_right"})
        return types.SimpleNamespace(info={"screen_coords": np.array([1920, 1080])},
                                     to_mne=lambda: (raw, []))

    monkeypatch.setitem(sys.modules, "eyelinkio", types.SimpleNamespace(read_edf=read_edf))
    rec = read_eyelink_edf("sub-00_task-aeAHA_eye.edf")
    assert rec.ch_names == ["gaze_x", "gaze_y", "pupil_left", "pupil_right"]
    assert rec.screen_size_px == (1920, 1080)
    assert_allclose(rec.pupil, ref.pupil, equal_nan=True)
    assert_allclose(rec.gaze_x, ref.gaze_x, equal_nan=True)
    _, _, _, res = _asc_text_parse(fname)
    out = MODALITY_EXTRACTORS.get("eye")(
        gaze_modality([rec]), WindowGrid.from_duration([60.0], 4.0),
        dict(screen_size_px=rec.screen_size_px, **_geometry(res, rec.screen_size_px)))
    assert np.all(np.isfinite(out["eye_features"].data))

    # a pupil known by its MNE channel type only, under another name
    def read_edf_typed(path):
        raw = mne.io.read_raw_eyelink(fname, verbose="error")
        raw.rename_channels({"pupil_left": "area_left", "pupil_right": "area_right"})
        return types.SimpleNamespace(info={}, to_mne=lambda: (raw, []))

    monkeypatch.setitem(sys.modules, "eyelinkio", types.SimpleNamespace(read_edf=read_edf_typed))
    rec = read_eyelink_edf("x.edf", eye="right")
    assert rec.ch_names == ["gaze_x", "gaze_y", "pupil_right"]
    assert rec.screen_size_px is None  # the MNE ASCII parse keeps no COORDS message
    assert_allclose(rec.pupil[0], ref.pupil[1], equal_nan=True)


def test_extract_eye_accepts_eyelinkio_pupil_names():
    sfreq = 100.0
    gaze = synth_gaze(8.0, sfreq, seed=3)
    data = np.vstack([gaze.gaze_x, gaze.gaze_y, gaze.pupil, gaze.pupil * 1.1])
    grid = WindowGrid.from_duration([8.0], 4.0)
    mod = Modality([data], sfreq, ["gaze_x", "gaze_y", "ps_left", "ps_right"], "deg")
    out = MODALITY_EXTRACTORS.get("eye")(mod, grid, {})
    assert out["eye_features"].attrs["pupil_channels"] == ["ps_left", "ps_right"]
    names = out["eye_features"].attrs["feature_names"]
    ok = gaze.pupil[:400] > 0
    assert_allclose(out["eye_features"].data[0, names.index("pupil_b_mean")],
                    1.1 * gaze.pupil[:400][ok].mean(), rtol=1e-12)
    bad = Modality([data], sfreq, ["gaze_x", "gaze_y", "size_l", "size_r"], "deg")
    with pytest.raises(ValueError, match=r"1 or 2 pupil channels .* or 'ps_', as eyelinkio "
                                         r"names them\), got \[\] among"):
        MODALITY_EXTRACTORS.get("eye")(bad, grid, {})
