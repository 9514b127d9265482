"""DEAP's frontal face videos: attach them to a recording, check a download's folders.

DEAP ships ``face_video/sXX/sXX_trialYY.avi`` for the Twente participants
(s01-s22). :func:`_attach_face` adds a lazily read ``face`` modality to what
a DEAP reader returned; :func:`_check_face` lists what is wrong with one
subject's folder, for :meth:`emopipe.io.DEAP.check`.
"""

import logging
import os
from pathlib import Path

from ..utils._errors import DataFileError, EmopipeError

from ._deap_ratings import RATINGS_FILE
from ._types import Modality
from ._video import _LazyVideo

logger = logging.getLogger("emopipe.io.deap.face")

FACE_FOLDER = "face_video"
FACE_FILE = "{subject}_trial{trial:02d}.avi"  # trial = presentation position (Trial)


def _face_files(root, subject, presentation):
    """Video file of each trial, named by presentation position."""
    folder = Path(root) / FACE_FOLDER / subject
    return [folder / FACE_FILE.format(subject=subject, trial=int(p)) for p in presentation]


def _attach_face(root, rec):
    """Add the ``face`` modality to ``rec`` from ``root/face_video/<subject>/``.

    DEAP's frontal face videos (Twente participants s01-s22) are
    ``face_video/sXX/sXX_trialYY.avi``, ``YY`` two digits. Assumptions (not
    stated by the DEAP documentation): ``YY`` is the presentation position
    (``Trial`` column of ``participant_ratings.csv``), mapped to the
    recording's trial order (video order, ``Experiment_id``) through
    ``rec.info["presentation_trial"]`` as the readers map trials; and each
    video starts at the trial's 3-s pre-trial baseline, as the preprocessed
    trials do, so frame ``f`` is at ``f / fps`` s in the trial array.
    Frame rate and size are read from the files.

    Outcomes: no folder -> ``rec.missing["face"]`` (never zero-filled); a
    folder lacking some of the subject's trial videos, or trials that
    cannot be matched (preprocessed data without ``participant_ratings.csv``)
    -> ``rec.missing["face"]`` with the reason and a warning, so the rest of
    the subject is still extracted (the window grid is shared, a modality
    covers every trial or none); an unreadable, empty or truncated video, a
    folder or FIFO in its place, or videos of different frame rates ->
    ``DataFileError`` naming the file. The videos used are appended to
    ``rec.sources`` (checksummed by the cache).

    Parameters
    ----------
    root : path-like
        Folder of the DEAP download.
    rec : SubjectRecording
        What the subject's reader returned; modified in place.
    """
    subject = rec.subject
    folder = Path(root) / FACE_FOLDER / subject
    if not folder.is_dir():
        why = f"no {FACE_FOLDER}/{subject}/ folder under {str(root)!r}"
        if rec.info.get("site") == "geneva":  # set by the DEAP readers
            why += " (DEAP recorded face video for the Twente participants s01-s22 only)"
        rec.missing["face"] = why
        logger.debug("%s: face missing (%s)", subject, why)
        return
    presentation = rec.info.get("presentation_trial")
    if presentation is None:
        why = (f"{folder}: face videos are named by presentation order (Trial) but "
               f"{RATINGS_FILE} is absent or has no rows for {subject}, so they cannot be "
               f"matched to the trials (video order). Add the CSV to read the face videos.")
        rec.missing["face"] = why
        logger.warning("%s: face skipped: %s", subject, why)
        return
    files = _face_files(root, subject, presentation)
    absent = [f.name for f in files if not os.path.lexists(f)]
    if absent:
        why = (f"{folder} lacks {len(absent)} of the {len(files)} trial videos: "
               f"{', '.join(absent)}. The face modality needs a video for every trial; "
               f"restore the files to extract face for {subject} (its other modalities are "
               f"extracted without it).")
        rec.missing["face"] = why
        logger.warning("%s: face skipped: %s", subject, why)
        return
    try:
        import cv2  # noqa: F401
    except ImportError:
        why = f"{folder}: reading face video needs OpenCV; pip install opencv-python-headless"
        rec.missing["face"] = why
        logger.warning("%s: face skipped: %s", subject, why)
        return
    videos = [_LazyVideo(f).probe() for f in files]
    rates = sorted({v.fps for v in videos})
    if len(rates) > 1:
        per = ", ".join(f"{v.fname.name}: {v.fps:g}" for v in videos if v.fps != videos[0].fps)
        raise DataFileError(
            f"{folder}: face videos have different frame rates {rates} fps ({videos[0].fname.name}"
            f": {videos[0].fps:g}; {per}); one modality needs one rate. Re-encode them to a "
            f"common rate."
        )
    rec.modalities["face"] = Modality(  # the probed videos hold metadata only, no frames
        data=videos, sfreq=rates[0], ch_names=["video"], unit="a.u.",
        source_unit="a.u.", dims=("trial", "time", "height", "width"))
    rec.sources.extend(str(f.resolve()) for f in files)
    rec.info["face_video"] = {"folder": str(folder), "fps": rates[0],
                              "n_frames": [len(v) for v in videos],
                              "frame_size": sorted({(v.shape[2], v.shape[1]) for v in videos})}
    _, h, w = videos[0].shape
    logger.info("%s: face video, %d trials, %d x %d px at %g fps (read lazily)", subject,
                len(files), w, h, rates[0])


def _check_face(root, subject, ratings, *, n_trials):
    """Problems with ``root/face_video/<subject>/`` (see :meth:`emopipe.io.DEAP.check`).

    Parameters
    ----------
    root : path-like
        Folder of the DEAP download.
    subject : str
        Subject id (``"s01"``).
    ratings : dict | None
        Output of :func:`emopipe.io.read_participant_ratings`; without it the
        videos expected are trials ``1 ... n_trials``.
    n_trials : int
        Trials per subject (the manifest's ``n_trials``).

    Returns
    -------
    problems : list of str
        One sentence per problem.
    """
    sub = ratings.get(subject) if ratings else None
    trials = (sorted(int(t) for t in sub["trial"]) if sub is not None
              else list(range(1, int(n_trials) + 1)))
    problems = []
    files = _face_files(root, subject, trials)
    absent = [f.name for f in files if not os.path.lexists(f)]
    if absent:
        problems.append(f"{FACE_FOLDER}/{subject}: {len(absent)} of {len(files)} trial videos "
                        f"absent ({', '.join(absent)}); face will be missing for {subject}")
    videos = []
    for f in files:
        if not os.path.lexists(f):
            continue
        try:
            videos.append(_LazyVideo(f).probe().verify())
        except (EmopipeError, OSError) as exc:  # report, do not stop
            msg = str(exc).removeprefix(f"{f}: ")
            problems.append(f"{FACE_FOLDER}/{subject}/{f.name}: {msg}")
    rates = sorted({v.fps for v in videos})
    if len(rates) > 1:
        per = ", ".join(f"{v.fname.name}: {v.fps:g}" for v in videos)
        problems.append(f"{FACE_FOLDER}/{subject}: face videos have different frame rates "
                        f"{rates} fps ({per}); one modality needs one rate. Re-encode them to "
                        f"a common rate.")
    return problems
