"""Benchmark MAHNOB-HCI face-video extraction on one MAHNOB-sized session.

One synthetic session (:func:`emopipe.io.synth.mahnob.write_mahnob_synth`): 30 s
margin + a 70-s stimulus + 30 s margin = 130 s of 60-fps grey MJPG video
(7800 frames), **320 x 240 px** by default (the real camera records 780 x 580;
pass ``--size 780 580`` for it), with its 47-channel BDF and gaze file.
Measured in one process:

* decode only: every frame grabbed, retrieved and converted to grey with
  OpenCV, as :class:`emopipe.io._video._LazyVideo` does, nothing else
  (frames/s); and grab only (the demuxing cost of skipping a frame);
* the face stage of the extraction (``read_subject`` + the ``face``
  extractor with the V2E settings of ``pipelines/v2e_mahnob.yaml``: 1-s
  windows every 0.25 s, 4 frames per window, Haar detection, 48 x 48
  crops): frames decoded per second (frames grabbed up to the last sampled
  one), sampled frames per second (the window crops made) and faces
  detected per second (distinct sampled frames, each run through the
  detector once: overlapping windows share frames);
* the same face stage as before each distinct frame was detected once:
  every sampled frame (window order, repeats kept) through the detector
  and cropped, in the same process (``--no-compare`` skips it);
* peak RSS of the whole extraction (``python -m emopipe extract`` with the
  V2E config, EEG + face, in a subprocess; ``ru_maxrss`` of the child)
  against the 2-GB target.

Usage: ``python benchmarks/bench_mahnob_face.py [--size W H] [--stimulus 70] [--root DIR]``
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pipelines" / "v2e_mahnob.yaml"


def decode_rates(fname):
    """Frames/s of grab + retrieve + grey over the whole video, and of grab only."""
    import cv2

    cap = cv2.VideoCapture(os.fspath(fname))
    t0, n = time.perf_counter(), 0
    while cap.grab():
        ok, img = cap.retrieve()
        if img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        n += 1
    decode = n / (time.perf_counter() - t0)
    cap.release()
    cap = cv2.VideoCapture(os.fspath(fname))
    t0, m = time.perf_counter(), 0
    while cap.grab():
        m += 1
    grab = m / (time.perf_counter() - t0)
    cap.release()
    return n, decode, grab


def face_stage(root):
    """Seconds of read + face extraction, frames grabbed and frames run through the detector."""
    from emopipe.features.extract import ExtractConfig, make_grid
    from emopipe.features.face import _window_frame_indices, extract_face
    from emopipe.io import MAHNOB
    from emopipe.utils.config import read_config_section

    fields = read_config_section(CONFIG, "extract")
    config = ExtractConfig(dataset="mahnob", **fields)
    t0 = time.perf_counter()
    rec = MAHNOB.read_subject(root, "1", modalities=["eeg", "face"])
    t_read = time.perf_counter() - t0
    grid = make_grid(rec, config)
    face = rec.modalities["face"]
    t0 = time.perf_counter()
    feats = extract_face(face, grid, config.modality_params["face"])
    t_face = time.perf_counter() - t0
    fps = face.sfreq
    k = config.modality_params["face"]["frames_per_window"]
    n_win = len(feats["frames"].data)
    starts = grid.sample_starts(fps, 0)
    last = int(starts[-1] + grid.n_samples(fps)) + face.data[0].start  # frames grabbed
    distinct = len(np.unique(_window_frame_indices(starts, grid.n_samples(fps), k)))
    return {"read_s": t_read, "face_s": t_face, "windows": n_win, "sampled_frames": n_win * k,
            "distinct_frames": distinct, "frames_grabbed": last,
            "face_found": float(feats["face_found"].data.mean())}


def every_sampled_frame(root):
    """Seconds of the face stage detecting every sampled frame (the previous behaviour)."""
    from emopipe.features.extract import ExtractConfig, make_grid
    from emopipe.features.face import _window_frame_indices, crop_faces, detect_faces
    from emopipe.io import MAHNOB
    from emopipe.utils.config import read_config_section

    fields = read_config_section(CONFIG, "extract")
    config = ExtractConfig(dataset="mahnob", **fields)
    rec = MAHNOB.read_subject(root, "1", modalities=["eeg", "face"])
    grid = make_grid(rec, config)
    face = rec.modalities["face"]
    params = config.modality_params["face"]
    t0 = time.perf_counter()
    idx = _window_frame_indices(grid.sample_starts(face.sfreq, 0), grid.n_samples(face.sfreq),
                                params["frames_per_window"])
    picked = face.data[0][idx.ravel()]
    crop_faces(picked, detect_faces(picked), size=params["size"], max_hold=2)
    return time.perf_counter() - t0


def extraction_rss(root, cache):
    """Wall time and peak RSS (MB) of ``emopipe extract`` (V2E config) in a child process."""
    cmd = [sys.executable, "-m", "emopipe", "extract", "--dataset", "mahnob", "--root",
           str(root), "--cache", str(cache), "--config", str(CONFIG), "-j", "1"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs=2, default=(320, 240), metavar=("W", "H"))
    parser.add_argument("--stimulus", type=float, default=70.0, help="stimulus length in s")
    parser.add_argument("--root", default=None, help="write the session here (default: tmp)")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the face stage detecting every sampled frame")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from emopipe.io.synth.mahnob import write_mahnob_synth

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.root or Path(tmp) / "mahnob")
        t0 = time.perf_counter()
        truth = write_mahnob_synth(root, n_subjects=1, n_trials=1, seed=0,
                                   stimulus=(args.stimulus, args.stimulus), face=True,
                                   face_fps=60.0, frame_size=tuple(args.size))
        t_synth = time.perf_counter() - t0
        video = root / truth["subjects"]["1"]["trials"][0]["face"]["file"]
        n, decode, grab = decode_rates(video)
        stage = face_stage(root)
        t_every = None if args.no_compare else every_sampled_frame(root)
        wall, rss = extraction_rss(root, Path(tmp) / "cache")
    detect_rate = stage["distinct_frames"] / stage["face_s"]
    sampled_rate = stage["sampled_frames"] / stage["face_s"]
    decoded_rate = stage["frames_grabbed"] / stage["face_s"]
    out = {
        "video": {"frames": n, "fps": 60.0, "size": list(args.size),
                  "seconds": n / 60.0, "written_in_s": round(t_synth, 1)},
        "decode_only_fps": round(decode, 1), "grab_only_fps": round(grab, 1),
        "face_stage": {k: (round(v, 3) if isinstance(v, float) else v)
                       for k, v in stage.items()},
        "frames_decoded_per_s": round(decoded_rate, 1),
        "sampled_frames_per_s": round(sampled_rate, 1),
        "faces_detected_per_s": round(detect_rate, 1),
        "every_sampled_frame_face_s": None if t_every is None else round(t_every, 2),
        "extract_wall_s": round(wall, 2), "extract_peak_rss_mb": round(rss, 1),
        "rss_target_mb": 2048,
    }
    print(json.dumps(out, indent=1))
    print(f"\n{n} frames ({n / 60:.0f} s at 60 fps, {args.size[0]} x {args.size[1]} px): "
          f"decode only {decode:.0f} frames/s (grab only {grab:.0f}); extraction decodes "
          f"{decoded_rate:.0f} frames/s and detects faces on {detect_rate:.0f} frames/s "
          f"({stage['distinct_frames']} distinct of {stage['sampled_frames']} sampled frames "
          f"in {stage['face_s']:.1f} s"
          + ("" if t_every is None else f"; detecting every sampled frame: {t_every:.1f} s")
          + "); whole "
          f"extraction {wall:.1f} s, peak RSS {rss:.0f} MB (target < 2048 MB).")


if __name__ == "__main__":
    main()
