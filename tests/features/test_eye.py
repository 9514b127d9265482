import logging

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.features._base import MODALITY_EXTRACTORS
from emopipe.features._windows import WindowGrid
from emopipe.features.eye import (
    EVENT_COUNT_NAMES,
    EYE_FEATURE_NAMES,
    PUPIL_BANDS,
    detect_eye_events,
    eye_window_features,
    pix_to_deg,
)
from emopipe.io._types import Modality
from emopipe.io.synth.eye import synth_gaze

KINDS = ("fixations", "saccades", "blinks")


def _match(det, truth, tol=0.02):
    """Greedy one-to-one onset matching: (f1, abs errors of the matches)."""
    used, errs = set(), []
    for t in truth:
        cands = [(abs(d - t), i) for i, d in enumerate(det) if i not in used and abs(d - t) <= tol]
        if cands:
            err, i = min(cands)
            used.add(i)
            errs.append(err)
    tp = len(errs)
    prec = tp / max(len(det), 1)
    rec = tp / max(len(truth), 1)
    return 2 * prec * rec / max(prec + rec, 1e-12), np.array(errs)


def _f1s(gaze, tol=0.02, **kw):
    events = detect_eye_events(gaze.gaze_x, gaze.gaze_y, gaze.pupil, gaze.sfreq, **kw)
    return {k: _match(ev["onset"], gaze.truth[k]["onset"], tol) for k, ev in zip(KINDS, events)}


def test_pix_to_deg_matches_hand_computation():
    # 1920 x 1080 px screen, 0.5 m x 0.28125 m, eye 0.6 m away
    kw = dict(screen_size_px=(1920, 1080), screen_size_m=(0.5, 0.28125), distance_m=0.6)
    x, y = pix_to_deg(np.array([960.0, 1920.0, 0.0]), np.array([540.0, 1080.0, 0.0]), **kw)
    # right edge: 0.25 m off-centre -> atan(0.25 / 0.6) = 22.619865 deg
    assert_allclose(x, [0.0, 22.619864948040426, -22.619864948040426], rtol=1e-12)
    # bottom edge: 0.140625 m -> atan(0.140625 / 0.6) = 13.190...
    assert_allclose(y, [0.0, np.degrees(np.arctan(0.140625 / 0.6)), -np.degrees(np.arctan(0.140625 / 0.6))], rtol=1e-12)
    assert_allclose(y[1], 13.190611, atol=1e-6)
    with pytest.raises(ValueError, match="distance_m must be > 0"):
        pix_to_deg(0, 0, screen_size_px=(10, 10), screen_size_m=(1, 1), distance_m=0)


@pytest.mark.parametrize("sfreq", [120.0, 500.0])
def test_ivt_recovers_clean_events(sfreq):
    gaze = synth_gaze(60.0, sfreq, seed=1)
    # match within 100 ms, then require every matched onset within 20 ms
    res = _f1s(gaze, tol=0.1)
    for kind in KINDS:
        f1, errs = res[kind]
        assert len(gaze.truth[kind]["onset"]) >= 5, kind
        assert f1 >= 0.9, (kind, f1)
        assert errs.max() <= 0.02, (kind, errs.max())


def test_saccade_amplitudes_and_blink_durations_recovered():
    gaze = synth_gaze(60.0, 500.0, seed=2)
    _, sac, blk = detect_eye_events(gaze.gaze_x, gaze.gaze_y, gaze.pupil, 500.0)
    t = gaze.truth
    i = np.searchsorted(sac["onset"], t["saccades"]["onset"] - 0.02)
    ok = i < len(sac["onset"])
    # amplitude from fixation end to next fixation start: truth +- 0.2 deg drift
    assert_allclose(sac["amplitude"][i[ok]], t["saccades"]["amplitude"][ok], atol=0.2)
    # main sequence: peak velocity of a raised cosine pi * A / (2 D), the 20-ms
    # centred difference lowers it; it must stay above the threshold
    assert np.all(sac["peak_velocity"] > 30.0)
    assert_allclose(np.sort(blk["duration"]), np.sort(t["blinks"]["duration"]), atol=1e-9)


def test_ivt_degrades_gracefully_with_noise():
    f1_moderate = _f1s(synth_gaze(60.0, 250.0, seed=3, noise=0.2))
    f1_heavy = _f1s(synth_gaze(60.0, 250.0, seed=3, noise=0.35))
    for kind in ("fixations", "saccades"):
        assert f1_moderate[kind][0] >= 0.7, (kind, f1_moderate[kind][0])
        assert f1_heavy[kind][0] < f1_moderate[kind][0]
    # blinks come from missing samples, untouched by gaze noise
    assert f1_moderate["blinks"][0] == 1.0


def test_idt_recovers_clean_events():
    gaze = synth_gaze(60.0, 250.0, seed=4)
    # I-DT ends a fixation once the dispersion is exceeded, so a few
    # saccade onsets drift (measured up to 40 ms at 250 Hz): F1 counts only
    # onsets within 20 ms, and the median error over 100-ms matches is small
    strict = _f1s(gaze, method="idt", dispersion_threshold=1.0)
    loose = _f1s(gaze, tol=0.1, method="idt", dispersion_threshold=1.0)
    for kind in KINDS:
        assert strict[kind][0] >= 0.9, (kind, strict[kind][0])
        assert np.median(loose[kind][1]) <= 0.015


def test_missing_runs_classified_by_duration():
    sfreq = 100.0
    n = 600
    x = np.zeros(n)
    y = np.zeros(n)
    pupil = np.full(n, 3e-3)
    pupil[100:105] = 0.0       # 50 ms: interpolated, no event
    pupil[200:230] = -1.0      # 300 ms: blink
    x[350:420] = np.nan        # 700 ms: track loss (gap)
    fix, sac, blk = detect_eye_events(x, y, pupil, sfreq)
    assert_allclose(blk["onset"], [2.0])
    assert_allclose(blk["duration"], [0.3])
    # one fixation before the blink (0-2 s, the 50-ms hole filled), one between
    # blink and gap, one after the gap; no saccade across missing data
    assert_allclose(fix["onset"], [0.0, 2.3, 4.2])
    assert_allclose(fix["duration"], [2.0, 1.2, 1.8])
    assert len(sac["onset"]) == 0


def test_mostly_missing_recording_raises_or_returns_empty(caplog):
    gaze = synth_gaze(10.0, 100.0, seed=5)
    x = gaze.gaze_x.copy()
    x[: int(0.9 * len(x))] = np.nan
    with pytest.raises(ValueError, match=r"gaze has 9\d\.\d % missing samples .* on_missing='empty'"):
        detect_eye_events(x, gaze.gaze_y, gaze.pupil, 100.0)
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        tables = detect_eye_events(x, gaze.gaze_y, gaze.pupil, 100.0, on_missing="empty")
    assert all(len(t["onset"]) == 0 for t in tables)
    assert "missing samples" in caplog.text
    with pytest.raises(ValueError, match="Allowed values are 'ivt', 'idt'"):
        detect_eye_events(x, x, None, 100.0, method="ivtt")


def test_dropped_single_samples_are_bridged():
    clean = synth_gaze(30.0, 250.0, seed=6)
    holey = synth_gaze(30.0, 250.0, seed=6, drop_fraction=0.05)
    a = detect_eye_events(clean.gaze_x, clean.gaze_y, clean.pupil, 250.0)
    b = detect_eye_events(holey.gaze_x, holey.gaze_y, holey.pupil, 250.0)
    assert len(b[2]["onset"]) == len(a[2]["onset"])          # no spurious blinks
    f1, _ = _match(b[0]["onset"], a[0]["onset"])
    assert f1 >= 0.95


def test_pupil_de_of_a_planted_tone():
    from scipy.signal import butter, sosfreqz

    sfreq, amp = 50.0, 0.2e-3
    gaze = synth_gaze(80.0, sfreq, seed=7, blink_rate=0.0, pupil_tones=[(0.5, amp)])
    starts = np.arange(0, 20) * int(4 * sfreq)    # 20 windows of 4 s, edges included
    feats, counts = eye_window_features(gaze.gaze_x, gaze.gaze_y, [gaze.pupil], sfreq, starts,
                                        int(4 * sfreq))
    names = list(EYE_FEATURE_NAMES)
    # 4-s windows hold two cycles: mean and std are exact
    assert_allclose(feats[:, names.index("pupil_a_mean")], 3.5e-3, rtol=1e-9)
    assert_allclose(feats[:, names.index("pupil_a_std")], amp / np.sqrt(2), rtol=1e-6)
    # 0.4-0.6 Hz band: variance amp**2 / 2 times the zero-phase gain |H|**4
    sos = butter(4, [0.4, 0.6], btype="bandpass", fs=sfreq, output="sos")
    _, h = sosfreqz(sos, worN=[0.5], fs=sfreq)
    var = amp**2 / 2 * np.abs(h[0]) ** 4
    de = feats[:, names.index("pupil_a_de_0.4-0.6Hz")]
    assert_allclose(de, 0.5 * np.log(2 * np.pi * np.e * var), atol=0.02)
    # the tone is far from 0.6-1 Hz: at least 3 nats less there
    assert np.all(feats[:, names.index("pupil_a_de_0.6-1Hz")] < de - 3)
    # one pupil channel fills both slots
    assert_allclose(feats[:, names.index("pupil_b_de_0.4-0.6Hz")], de)
    assert list(PUPIL_BANDS) == ["0-0.2Hz", "0.2-0.4Hz", "0.4-0.6Hz", "0.6-1Hz"]
    assert_allclose(counts[:, EVENT_COUNT_NAMES.index("valid_fraction")], 1.0)


def test_event_statistics_per_window_and_no_nan():
    sfreq = 100.0
    n = 1000
    x = np.zeros(n)
    y = np.zeros(n)
    x[300:] = 5.0           # a step at 3 s: saccade of 5 deg (one sample)
    x[600:] = np.nan        # lost from 6 s on
    pupil = np.full(n, 3e-3)
    pupil[150:170] = 0.0    # 200-ms blink at 1.5 s
    starts = np.array([0, 200, 400, 600, 800])
    feats, counts = eye_window_features(x, y, [pupil, pupil], sfreq, starts, 200)
    assert np.all(np.isfinite(feats))
    f = dict(zip(EYE_FEATURE_NAMES, feats.T))
    c = dict(zip(EVENT_COUNT_NAMES, counts.T))
    assert_allclose(c["n_blinks"], [1, 0, 0, 0, 0])
    assert_allclose(f["blink_dur_mean"], [0.2, 0, 0, 0, 0])
    assert_allclose(f["blink_rate"], [0.5, 0, 0, 0, 0])
    assert_allclose(c["n_saccades"], [0, 1, 0, 0, 0])
    assert_allclose(f["sacc_amp_mean"], [0, 5.0, 0, 0, 0])
    # fixations start at 0 s, 1.7 s (after the blink) and ~3 s
    assert_allclose(c["n_fixations"], [2, 1, 0, 0, 0])
    assert_allclose(c["valid_fraction"], [0.9, 1.0, 1.0, 0.0, 0.0])
    # windows without gaze: event and gaze statistics 0, not NaN; the pupil,
    # still valid there, keeps its own statistics
    assert np.all(feats[3:, 12:31] == 0) and np.all(feats[3:, 33:] == 0)
    assert_allclose(f["pupil_a_mean"], 3e-3)
    assert_allclose(f["pupil_a_std"][1:], 0.0, atol=1e-12)


def _modality(gazes, unit="deg"):
    data = np.stack([np.vstack([g.gaze_x, g.gaze_y, g.pupil, g.pupil]) for g in gazes])
    return Modality(data, gazes[0].sfreq, ["gaze_x", "gaze_y", "pupil_left", "pupil_right"],
                    unit, "mm")


@pytest.mark.parametrize("layout,n_rows", [("named", 35), ("seed_iv", 31), ("seed_v", 33)])
def test_eye_extractor_layouts(layout, n_rows):
    gazes = [synth_gaze(24.0, 60.0, seed=s) for s in (8, 9)]
    grid = WindowGrid.from_duration([20.0, 20.0], 4.0, baseline=2.0)
    out = MODALITY_EXTRACTORS.get("eye")(_modality(gazes), grid, {"layout": layout})
    feats, counts = out["eye_features"], out["event_counts"]
    assert feats.data.shape == (10, n_rows) and feats.dims == ("window", "feature")
    assert counts.data.shape == (10, 4)
    assert feats.attrs["feature_labels"] == list(EYE_FEATURE_NAMES[:n_rows])
    if layout == "named":
        assert feats.attrs["feature_names"][0] == "pupil_a_mean"
    else:
        assert feats.attrs["feature_names"][-1] == f"eye_{n_rows - 1:02d}"
    assert np.all(np.isfinite(feats.data))
    # window 1 of trial 1 covers samples 6 s .. 10 s of the trial array
    g = gazes[1]
    fix, _, _ = detect_eye_events(g.gaze_x, g.gaze_y, g.pupil, 60.0)
    n_fix = np.sum((fix["onset"] >= 6.0) & (fix["onset"] < 10.0))
    assert counts.data[6, 0] == n_fix


def test_eye_extractor_px_needs_geometry():
    gazes = [synth_gaze(10.0, 60.0, seed=10)]
    grid = WindowGrid.from_duration([8.0], 4.0)
    mod = _modality(gazes, unit="px")
    with pytest.raises(ValueError, match="params must give screen_size_px, screen_size_m"):
        MODALITY_EXTRACTORS.get("eye")(mod, grid, {})
    geo = dict(screen_size_px=(1280, 1024), screen_size_m=(0.376, 0.301), distance_m=0.6)
    x_px = 640 + gazes[0].gaze_x * 20.0
    mod.data[0, 0] = x_px
    out = MODALITY_EXTRACTORS.get("eye")(mod, grid, geo)
    assert out["eye_features"].data.shape == (2, 35)
    with pytest.raises(ValueError, match="'eye params key'.*got 'treshold' instead"):
        MODALITY_EXTRACTORS.get("eye")(mod, grid, {**geo, "treshold": 3})
    with pytest.raises(ValueError, match="Allowed values are 'named', 'seed_iv', 'seed_v'"):
        MODALITY_EXTRACTORS.get("eye")(mod, grid, {**geo, "layout": "seed4"})


def test_eye_extractor_lost_trial_gives_zero_features(caplog):
    good, lost = synth_gaze(12.0, 60.0, seed=11), synth_gaze(12.0, 60.0, seed=12)
    lost.gaze_x[: int(0.95 * len(lost.gaze_x))] = np.nan
    grid = WindowGrid.from_duration([12.0, 12.0], 4.0)
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        out = MODALITY_EXTRACTORS.get("eye")(_modality([good, lost]), grid, {})
    assert "missing samples" in caplog.text
    counts = out["event_counts"].data
    assert np.all(counts[3:, :3] == 0)                      # no events in the lost trial
    assert_allclose(counts[3:, 3], [0.0, 0.0, 36 / 240])    # the last 5 % (36 samples) remain
    assert np.all(np.isfinite(out["eye_features"].data))
    assert np.all(counts[:3, 0] > 0)
    with pytest.raises(ValueError, match="gaze has 9"):
        MODALITY_EXTRACTORS.get("eye")(_modality([good, lost]), grid, {"on_missing": "raise"})
