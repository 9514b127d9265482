import logging

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from emopipe.features._base import MODALITY_EXTRACTORS
from emopipe.features._windows import WindowGrid
from emopipe.features.face import (
    crop_faces,
    detect_faces,
    openface_window_features,
    read_video_frames,
)
from emopipe.io._types import Modality
from emopipe.io.openface import read_openface_csv
from emopipe.io.synth.face import sample_face, write_face_video, write_openface_csv

FPS = 25.0


@pytest.fixture(scope="module")
def face_video(tmp_path_factory):
    """80 frames; the face is in frames 10-29 and 50-69."""
    path = tmp_path_factory.mktemp("video") / "P1-Rec1_C1 trigger _C_Section_2.avi"
    face_frames = list(range(10, 30)) + list(range(50, 70))
    boxes = write_face_video(path, n_frames=80, face_frames=face_frames, fps=FPS, seed=0)
    return path, boxes


def _iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


def test_read_video_frames(face_video):
    path, boxes = face_video
    frames, fps = read_video_frames(path)
    assert frames.shape == (80, 120, 160) and frames.dtype == np.uint8
    assert fps == FPS
    first, _ = read_video_frames(path, max_frames=5)
    assert_array_equal(first, frames[:5])


def test_read_video_frames_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.avi"):
        read_video_frames(tmp_path / "missing.avi")
    bad = tmp_path / "broken.avi"
    bad.write_bytes(b"not a video at all" * 10)
    with pytest.raises(ValueError, match=r"broken\.avi: OpenCV"):
        read_video_frames(bad)


def test_detect_faces_finds_the_planted_face(face_video):
    path, truth = face_video
    frames, _ = read_video_frames(path)
    boxes = detect_faces(frames)
    has_true = np.array([b is not None for b in truth])
    has_det = np.array([b is not None for b in boxes])
    tp = np.sum(has_true & has_det)
    f1 = 2 * tp / (has_true.sum() + has_det.sum())
    assert f1 >= 0.9
    assert not np.any(has_det & ~has_true)          # nothing in blank frames
    # detections lie on the pasted photograph (the cascade box is the inner face)
    ious = [_iou(b, t) for b, t in zip(boxes, truth) if b is not None and t is not None]
    assert np.median(ious) > 0.4
    with pytest.raises(ValueError, match="frames must be uint8"):
        detect_faces(frames.astype(float))


def test_crop_faces_hold_and_mask():
    face = sample_face()
    frames = np.zeros((10, 100, 100), np.uint8)
    frames[:] = np.arange(100, dtype=np.uint8)[None, None, :]
    box = (20, 30, 40, 40)
    boxes = [None, box, None, None, box, None, None, None, box, None]
    crops, has_face = crop_faces(frames, boxes, size=48, margin=0.0, max_hold=2)
    # a hold bridges only a gap of <= max_hold frames between two detections: frames 2-3
    # reuse frame 1's box; 5-7 (3 frames) are past max_hold; nothing before the first
    # or after the last detection (frames 0 and 9)
    assert_array_equal(has_face, [0, 1, 1, 1, 1, 0, 0, 0, 1, 0])
    assert np.all(crops[[0, 5, 6, 7, 9]] == 0)
    # margin 0: the crop is columns 20..59 resized (area) -> mean of the ramp
    assert crops.shape == (10, 48, 48) and crops.dtype == np.uint8
    assert abs(crops[1].mean() - np.arange(20, 60).mean()) < 1.0
    assert_array_equal(crops[2], crops[1])
    assert_array_equal(crop_faces(frames, boxes, max_hold=0)[1], [b is not None for b in boxes])
    assert crop_faces(frames, boxes, max_hold=3)[1].sum() == 8  # 5-7 bridged too
    # the margin is clipped inside the frame
    crops_m, _ = crop_faces(frames[:1], [(0, 0, 40, 40)], margin=0.5)
    assert crops_m[0].mean() == pytest.approx(np.arange(0, 80).mean(), abs=1.0)
    assert face.dtype == np.uint8


def test_face_extractor_windows(face_video):
    path, truth = face_video
    frames, fps = read_video_frames(path)
    # two trials: the same clip twice; 1-s windows (25 frames) from baseline 0.2 s
    mod = Modality([frames, frames], fps, ["video"], "a.u.", "a.u.",
                   ("trial", "time", "height", "width"))
    grid = WindowGrid([[0.0, 1.0, 2.0], [0.0, 1.0]], 1.0, baseline=0.2)
    out = MODALITY_EXTRACTORS.get("face")(mod, grid, {"frames_per_window": 5, "max_hold": 0})
    f, found = out["frames"], out["face_found"]
    assert f.data.shape == (5, 5, 48, 48) and f.data.dtype == np.uint8
    assert f.dims == ("window", "time", "height", "width")
    # sampled frames: 5 + 25 * w + {2, 7, 12, 17, 22}
    has_true = np.array([b is not None for b in truth])
    idx = 5 + 25 * np.array([0, 1, 2, 0, 1])[:, None] + np.array([2, 7, 12, 17, 22])[None, :]
    expected = has_true[idx].mean(axis=1)
    # measured: exact for seeds 0-2; allow one missed sampled frame in all
    assert np.sum(np.abs(found.data - expected)) <= 0.2 + 1e-9
    assert np.all(f.data[found.data == 0] == 0)


def test_face_extractor_without_face(tmp_path):
    path = tmp_path / "noface.avi"
    write_face_video(path, n_frames=30, face_frames=[], fps=FPS, seed=1)
    frames, fps = read_video_frames(path)
    mod = Modality([frames], fps, ["video"], "a.u.", "a.u.", ("trial", "time", "height", "width"))
    grid = WindowGrid([[0.0]], 1.0)
    out = MODALITY_EXTRACTORS.get("face")(mod, grid, {})
    # documented outcome: zero crops, face_found 0
    assert out["face_found"].data.tolist() == [0.0]
    assert np.all(out["frames"].data == 0)
    with pytest.raises(ValueError, match="Allowed values are"):
        MODALITY_EXTRACTORS.get("face")(mod, grid, {"frame_per_window": 2})
    with pytest.raises(ValueError, match=r"face trial 0: the window grid needs 50 frames"):
        MODALITY_EXTRACTORS.get("face")(mod, WindowGrid([[0.0, 1.0]], 1.0), {})


def test_face_extractor_aligned_frames_are_resized():
    aligned = np.tile(np.arange(112, dtype=np.uint8)[None, None, :], (50, 112, 1))
    mod = Modality([aligned], 25.0, ["video"], "a.u.", "a.u.",
                   ("trial", "time", "height", "width"))
    out = MODALITY_EXTRACTORS.get("face")(mod, WindowGrid([[0.0, 1.0]], 1.0),
                                          {"detect": False, "frames_per_window": 2})
    assert out["frames"].data.shape == (2, 2, 48, 48)
    assert_allclose(out["face_found"].data, [1.0, 1.0])
    assert out["frames"].attrs["detector"] == "none"


def test_openface_window_means(tmp_path):
    fps, n = 30.0, 150                          # 5 s of video
    au12 = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0], 30)
    failed = range(60, 90)                      # third second lost
    table = write_openface_csv(tmp_path / "of.csv", n_frames=n, fps=fps, seed=0,
                               failed_frames=failed, values={"AU12_r": au12})
    read = read_openface_csv(tmp_path / "of.csv")
    grid = WindowGrid([[0.0, 1.0, 2.0, 3.0]], 1.0, baseline=0.5)
    out = openface_window_features(read, grid)
    names = out["openface"].attrs["feature_names"]
    assert names[:2] == ["gaze_0_x", "gaze_0_y"] and "AU12_r" in names and "pose_Rz" in names
    assert not any(c.startswith(("x_", "p_", "eye_lmk")) for c in names)
    # windows [0.5, 1.5), [1.5, 2.5), ...: 15 frames of each of two AU12 levels
    # windows 1 and 2 hold 15 failed frames (2-3 s) each: means of the other 15
    v = out["openface"].data[:, names.index("AU12_r")]
    assert_allclose(v, [1.5, 2.0, 4.0, 4.5])
    c = out["openface_counts"].data
    assert_allclose(c, [[30, 30], [15, 30], [15, 30], [30, 30]])
    # an independent mean for another column
    ts = table["timestamp"] + 0.0
    m = (ts >= 3.5) & (ts < 4.5)
    assert_allclose(out["openface"].data[3, names.index("pose_Tx")], table["pose_Tx"][m].mean())
    with pytest.raises(ValueError, match="got 1 OpenFace tables for a grid of 2 trials"):
        openface_window_features(read, WindowGrid([[0.0], [0.0]], 1.0))


def test_crop_faces_single_false_positive_stays_one_frame():
    """A no-face sequence with one false-positive frame: the hold adds nothing.

    Before, the default max_hold = 2 turned the one detection into three
    frames with a face (face_found 0.19 from 1.1 % of detected frames).
    """
    frames = np.full((90, 64, 64), 128, np.uint8)
    boxes = [None] * 90
    boxes[40] = (10, 10, 30, 30)
    for max_hold in (0, 2, 5):
        crops, has_face = crop_faces(frames, boxes, max_hold=max_hold)
        assert np.flatnonzero(has_face).tolist() == [40]
        assert np.all(crops[np.arange(90) != 40] == 0)


def test_face_extractor_single_false_positive(monkeypatch):
    """Through the "face" extractor: a detector firing on one sampled frame only."""
    import emopipe.features.face as face_mod

    frames = np.full((100, 64, 64), 90, np.uint8)   # 4 s at 25 fps, no face
    calls = []

    def fake_detect(picked, **kw):
        calls.append(len(picked))
        out = [None] * len(picked)
        out[5] = (8, 8, 32, 32)                     # one false positive among 16 sampled
        return out

    monkeypatch.setattr(face_mod, "detect_faces", fake_detect)
    mod = Modality([frames], 25.0, ["video"], "a.u.", "a.u.", ("trial", "time", "height", "width"))
    out = MODALITY_EXTRACTORS.get("face")(mod, WindowGrid([[0.0, 1.0, 2.0, 3.0]], 1.0), {})
    assert calls == [16]
    # window 1 holds sampled frames 4-7: one of its four has a face
    assert_allclose(out["face_found"].data, [0.0, 0.25, 0.0, 0.0])
    assert out["frames"].data[1, 1].any() and not out["frames"].data[1, [0, 2, 3]].any()


def test_detect_faces_accepts_opencv_colour_frames(face_video):
    import cv2

    path, truth = face_video
    grey, _ = read_video_frames(path)
    k = next(i for i, b in enumerate(truth) if b is not None)
    # what cv2.VideoCapture.read returns by default: (height, width, 3) BGR
    bgr = cv2.cvtColor(grey[k], cv2.COLOR_GRAY2BGR)
    assert bgr.shape == grey[k].shape + (3,)
    boxes = detect_faces(bgr)
    assert len(boxes) == 1 and boxes == detect_faces(grey[k:k + 1])
    assert boxes[0] is not None and _iou(boxes[0], truth[k]) > 0.4
    # a stack of colour frames: the same boxes as the grey stack
    stack = np.stack([cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) for f in grey[k:k + 3]])
    assert detect_faces(stack) == detect_faces(grey[k:k + 3])
    # a colour frame with different channels: converted with the BGR weights
    col = np.zeros((64, 64, 3), np.uint8)
    col[..., 0], col[..., 1], col[..., 2] = 200, 100, 50          # B, G, R
    crops, has = crop_faces(col[None], [(0, 0, 64, 64)], margin=0.0, size=8)
    assert has.tolist() == [True]
    assert abs(int(crops[0, 0, 0]) - round(0.114 * 200 + 0.587 * 100 + 0.299 * 50)) <= 1
    with pytest.raises(ValueError, match=r"or \(height, width, 3\) \(BGR, as OpenCV reads "
                                         r"them\), got dtype uint8 and shape \(2, 64, 64, 4\)"):
        detect_faces(np.zeros((2, 64, 64, 4), np.uint8))


def test_openface_shorter_than_a_window_warns(tmp_path, caplog):
    fps = 30.0
    write_openface_csv(tmp_path / "s01_trial01.csv", n_frames=12, fps=fps, seed=0)  # 0.4 s
    read = read_openface_csv(tmp_path / "s01_trial01.csv")
    assert read.fname.endswith("s01_trial01.csv")
    grid = WindowGrid([[0.0, 1.0]], 1.0)
    with caplog.at_level(logging.WARNING, logger="emopipe.features.face"):
        out = openface_window_features(read, grid)
    assert_allclose(out["openface_counts"].data, [[12, 12], [0, 0]])
    msg = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(msg) == 1
    assert "s01_trial01.csv: 12 frames spanning 0.000-0.367 s is shorter than one window " \
           "and leaves 1 of the 2 1-s windows of trial 0 without a frame (the windows cover " \
           "0.000-2.000 s)" in msg[0]
    # a CSV covering every window: no warning
    write_openface_csv(tmp_path / "long.csv", n_frames=60, fps=fps, seed=0)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="emopipe.features.face"):
        openface_window_features(read_openface_csv(tmp_path / "long.csv"), grid)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize("lazy", [False, True])
def test_face_extractor_detects_each_distinct_frame_once(face_video, monkeypatch, lazy):
    """Overlapping windows: one detection per distinct frame, crops as detecting every one."""
    import emopipe.features.face as face_mod
    from emopipe.features.face import _window_frame_indices
    from emopipe.io._video import _LazyVideo

    path, _ = face_video
    frames, fps = read_video_frames(path)
    video = _LazyVideo(path) if lazy else frames
    # 1-s windows (25 frames) every 0.2 s (5 frames) from baseline 0.2 s: 11 windows, 5
    # sampled frames each (offsets 2, 7, 12, 17, 22), 4 of 5 shared with the next window
    onsets = np.round(np.arange(11) * 0.2, 10)
    grid = WindowGrid([onsets], 1.0, baseline=0.2)
    params = {"frames_per_window": 5, "max_hold": 2}
    seen = []
    real = face_mod.detect_faces

    def counting_detect(picked, **kw):
        seen.append(len(picked))
        return real(picked, **kw)

    monkeypatch.setattr(face_mod, "detect_faces", counting_detect)
    mod = Modality([video], fps, ["video"], "a.u.", "a.u.", ("trial", "time", "height", "width"))
    out = MODALITY_EXTRACTORS.get("face")(mod, grid, params)
    idx = _window_frame_indices(grid.sample_starts(fps, 0), 25, 5)
    assert idx.size == 55 and len(np.unique(idx)) == 15
    assert seen == [15]
    if lazy:
        assert video.n_retrieved == 15
    # the reference: detect on every sampled frame in window order, then crop
    picked = frames[idx.ravel()]
    crops, found = crop_faces(picked, real(picked), size=48, margin=0.1, max_hold=2)
    assert found.any() and not found.all()  # faces and misses: the hold is exercised
    assert_array_equal(out["frames"].data, crops.reshape(11, 5, 48, 48))
    assert_array_equal(out["face_found"].data, found.reshape(11, 5).mean(axis=1))
    # aligned frames (detect=False): each distinct frame resized once, the same crops
    aligned = MODALITY_EXTRACTORS.get("face")(mod, grid, {"frames_per_window": 5,
                                                          "detect": False})
    import cv2

    resized = np.stack([cv2.resize(f, (48, 48), interpolation=cv2.INTER_AREA) for f in picked])
    assert_array_equal(aligned["frames"].data, resized.reshape(11, 5, 48, 48))
    assert np.all(aligned["face_found"].data == 1.0)
