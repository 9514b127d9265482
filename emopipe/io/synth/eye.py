"""Synthetic gaze with ground-truth events, and a MAHNOB-HCI Tobii TSV writer."""

from dataclasses import dataclass, field

import numpy as np

from ...utils._checks import _check_positive


@dataclass
class SynthGaze:
    """Synthetic gaze recording and its ground truth.

    Parameters
    ----------
    gaze_x, gaze_y : ndarray, shape (n_times,)
        Gaze in degrees (NaN during blinks and dropped samples).
    pupil : ndarray, shape (n_times,)
        Pupil diameter in m (0 during blinks and dropped samples).
    sfreq : float
        Sampling frequency in Hz.
    truth : dict of str -> dict of str -> ndarray
        ``truth["fixations"|"saccades"|"blinks"]["onset"|"duration"]`` in s
        from the first sample; saccades also have ``amplitude`` (deg).
    """

    gaze_x: np.ndarray
    gaze_y: np.ndarray
    pupil: np.ndarray
    sfreq: float
    truth: dict = field(default_factory=dict)

    @property
    def times(self):
        """Sample times in s, shape (n_times,)."""
        return np.arange(len(self.gaze_x)) / self.sfreq


def synth_gaze(duration, sfreq, *, seed, n_fixations=None, fixation_duration=(0.2, 0.6),
               saccade_amplitude=(2.0, 12.0), blink_rate=0.2, blink_duration=(0.1, 0.3),
               noise=0.0, pupil_mean=3.5e-3, pupil_tones=(), drop_fraction=0.0,
               field_deg=15.0):
    """Fixation-saccade-blink gaze with known event onsets.

    The recording alternates fixations (uniform duration in
    ``fixation_duration``, small 0.05-deg drift) with transitions: a saccade
    to a random point within ``field_deg`` (amplitude uniform in
    ``saccade_amplitude``, duration from the main sequence
    ``0.0022 * amplitude + 0.021`` s, raised-cosine position profile) or,
    with probability ``blink_rate * mean fixation duration``, a blink (NaN
    gaze and zero pupil for a duration uniform in ``blink_duration``, gaze
    returning to the same point). Truth onsets are sample times.

    Parameters
    ----------
    duration : float
        Length in s (the last event is cut at the end).
    sfreq : float
        Sampling frequency in Hz.
    seed : int
        Seed of the local random generator.
    n_fixations : int | None
        Stop after this many fixations (the rest of the recording holds
        the last fixation); ``None`` fills ``duration``.
    fixation_duration : tuple of float
        Range of fixation durations in s.
    saccade_amplitude : tuple of float
        Range of saccade amplitudes in degrees.
    blink_rate : float
        Mean blinks per second of fixation.
    blink_duration : tuple of float
        Range of blink durations in s (75-500 ms are detected as blinks).
    noise : float
        SD of white Gaussian noise added to each gaze axis, degrees.
    pupil_mean : float
        Mean pupil diameter in m.
    pupil_tones : sequence of (freq, amplitude)
        Sinusoids (Hz, m) added to the pupil.
    drop_fraction : float
        Fraction of samples set missing at random (single samples, i.e.
        shorter than any blink), to test the missing-data rules.
    field_deg : float
        Half-width of the square of fixation targets, degrees.

    Returns
    -------
    gaze : SynthGaze
        Samples and ground truth.
    """
    _check_positive("duration", duration)
    _check_positive("sfreq", sfreq)
    rng = np.random.default_rng(seed)
    n = int(round(duration * sfreq))
    x = np.zeros(n)
    y = np.zeros(n)
    blink = np.zeros(n, bool)
    truth = {"fixations": {"onset": [], "duration": []},
             "saccades": {"onset": [], "duration": [], "amplitude": []},
             "blinks": {"onset": [], "duration": []}}
    p_blink = blink_rate * np.mean(fixation_duration)
    pos = rng.uniform(-field_deg / 2, field_deg / 2, 2)
    i = 0
    n_fix = 0
    while i < n:
        nf = int(round(rng.uniform(*fixation_duration) * sfreq))
        j = min(n, i + nf)
        drift = np.cumsum(rng.normal(0, 0.05 / np.sqrt(max(nf, 1)), (j - i, 2)), axis=0)
        x[i:j], y[i:j] = (pos + drift).T
        truth["fixations"]["onset"].append(i / sfreq)
        truth["fixations"]["duration"].append((j - i) / sfreq)
        n_fix += 1
        end = pos + drift[-1] if j > i else pos
        i = j
        if i >= n:
            break
        if n_fixations is not None and n_fix >= n_fixations:
            x[i:], y[i:] = end
            truth["fixations"]["duration"][-1] = (n - truth["fixations"]["onset"][-1] * sfreq) / sfreq
            break
        if rng.random() < p_blink:
            nb = int(round(rng.uniform(*blink_duration) * sfreq))
            j = min(n, i + nb)
            blink[i:j] = True
            x[i:j], y[i:j] = end
            if j < n:
                truth["blinks"]["onset"].append(i / sfreq)
                truth["blinks"]["duration"].append((j - i) / sfreq)
            pos = end
            i = j
            continue
        amp = rng.uniform(*saccade_amplitude)
        for _ in range(100):
            ang = rng.uniform(0, 2 * np.pi)
            target = end + amp * np.array([np.cos(ang), np.sin(ang)])
            if np.all(np.abs(target) <= field_deg):
                break
        ns = max(2, int(round((0.0022 * amp + 0.021) * sfreq)))
        j = min(n, i + ns)
        prof = (1 - np.cos(np.pi * np.arange(1, j - i + 1) / ns)) / 2
        x[i:j] = end[0] + (target[0] - end[0]) * prof
        y[i:j] = end[1] + (target[1] - end[1]) * prof
        truth["saccades"]["onset"].append(i / sfreq)
        truth["saccades"]["duration"].append((j - i) / sfreq)
        truth["saccades"]["amplitude"].append(amp)
        pos = target
        i = j
    if noise:
        x += rng.normal(0, noise, n)
        y += rng.normal(0, noise, n)
    t = np.arange(n) / sfreq
    pupil = np.full(n, float(pupil_mean))
    for f, a in pupil_tones:
        pupil += a * np.sin(2 * np.pi * f * t)
    miss = blink.copy()
    if drop_fraction:
        miss |= rng.random(n) < drop_fraction
    x[miss] = np.nan
    y[miss] = np.nan
    pupil[miss] = 0.0
    truth = {k: {kk: np.asarray(vv, float) for kk, vv in v.items()} for k, v in truth.items()}
    return SynthGaze(x, y, pupil, float(sfreq), truth)


#: columns of a MAHNOB-HCI Tobii Studio gaze export, in file order
TOBII_COLUMNS = [
    "Timestamp", "DateTimeStamp", "DateTimeStampStartOffset", "Number", "GazePointXLeft",
    "GazePointYLeft", "CamXLeft", "CamYLeft", "DistanceLeft", "PupilLeft", "ValidityLeft",
    "GazePointXRight", "GazePointYRight", "CamXRight", "CamYRight", "DistanceRight",
    "PupilRight", "ValidityRight", "FixationIndex", "GazePointX", "GazePointY", "Event",
    "EventKey", "Data1", "Data2", "Descriptor", "StimuliName", "StimuliID", "MediaWidth", "MediaHeight",
    "MediaPosX", "MediaPosY", "MappedFixationPointX", "MappedFixationPointY",
    "FixationDuration", "AoiIds", "AoiNames", "WebGroupImage", "MappedGazeDataPointX",
    "MappedGazeDataPointY", "MicroSecondTimestamp", "AbsoluteMicroSecondTimestamp",
]


def write_tobii_tsv(fname, gaze_x_px, gaze_y_px, pupil_mm, sfreq, *, movie_start, movie_end,
                    screen_size_px=(1280, 1024), validity=None, stimulus_name="52.avi", seed=0):
    """Write a gaze TSV laid out as the MAHNOB-HCI Tobii Studio exports.

    The file has 24 header lines (``Key:\\tvalue`` pairs as Tobii Studio
    writes them, padded with blank values), then one tab-separated header
    row (:data:`TOBII_COLUMNS`), then one row per sample with ``Timestamp``
    in ms from the recording start; every line ends with a tab, as Tobii
    Studio writes them. Event rows (``Event`` = ``MovieStart`` /
    ``MovieEnd``, ``Descriptor`` = the stimulus file) are extra rows at the
    event time with empty gaze fields; samples between them carry
    ``StimuliName``. Missing samples (NaN) are written as ``-1``
    coordinates with validity 4.

    Parameters
    ----------
    fname : path-like
        Output ``.tsv`` file.
    gaze_x_px, gaze_y_px : ndarray, shape (n_times,)
        Gaze in screen pixels (NaN = missing), written to both eyes and to
        ``GazePointX/Y``.
    pupil_mm : ndarray, shape (n_times,)
        Pupil diameter in mm, written to both eyes (``<= 0`` = missing).
    sfreq : float
        Sampling frequency in Hz.
    movie_start, movie_end : float
        Times (s) of the ``MovieStart`` and ``MovieEnd`` events.
    screen_size_px : tuple of int
        Written in the header (``Recording resolution``).
    validity : ndarray of int, shape (n_times,) | None
        Tobii validity code per sample (0 good ... 4 missing); derived from
        missing samples when ``None``.
    stimulus_name : str
        Written to ``Descriptor`` (events) and ``StimuliName`` (samples
        during the stimulus).
    seed : int
        Seed for the ``Cam*``/``Distance*`` filler columns.

    Returns
    -------
    fname : path-like
        ``fname``.
    """
    rng = np.random.default_rng(seed)
    gx = np.asarray(gaze_x_px, float)
    gy = np.asarray(gaze_y_px, float)
    pu = np.asarray(pupil_mm, float)
    miss = ~(np.isfinite(gx) & np.isfinite(gy) & (np.nan_to_num(pu) > 0))
    if validity is None:
        validity = np.where(miss, 4, 0)
    header = [
        "System Properties:", "Operating System:\tWindows XP", "System User Name:\tlab",
        "Machine Name:\tTOBII", "Export Date:\t01/01/2010", "Studio Version:\t1.7.2",
        "Studio Release Build:\t1.7.2", "Studio Properties:", "Project Name:\temotion",
        "Test Name:\temotion", "Recording Name:\tRec 01",
        "Recording Date:\t01/01/2010", "Recording Time:\t10:00:00",
        f"Recording resolution:\t{screen_size_px[0]} x {screen_size_px[1]}",
        "Recording Duration:\t0", "Participant:\tP1", "Fixation Filter:\tTobii Fixation Filter",
        "Fixation Filter Settings:", "Velocity Threshold:\t35", "Distance Threshold:\t35",
        "Eye Tracker:\tTobii X120", f"Data rate:\t{sfreq:g}", "Media:", "",
    ]
    header = header[:24]
    col = {c: i for i, c in enumerate(TOBII_COLUMNS)}
    rows = []
    for k in range(len(gx)):
        r = [""] * len(TOBII_COLUMNS)
        t_ms = k * 1000.0 / sfreq
        r[col["Timestamp"]] = str(int(round(t_ms)))
        r[col["Number"]] = str(k + 1)
        r[col["MicroSecondTimestamp"]] = str(int(round(t_ms * 1000)))
        for side in ("Left", "Right"):
            bad = miss[k]
            r[col[f"GazePointX{side}"]] = "-1" if bad else f"{gx[k]:.0f}"
            r[col[f"GazePointY{side}"]] = "-1" if bad else f"{gy[k]:.0f}"
            r[col[f"CamX{side}"]] = f"{rng.uniform(0.3, 0.7):.3f}"
            r[col[f"CamY{side}"]] = f"{rng.uniform(0.3, 0.7):.3f}"
            r[col[f"Distance{side}"]] = "-1" if bad else f"{rng.uniform(590, 610):.1f}"
            r[col[f"Pupil{side}"]] = "-1" if bad else f"{pu[k]:.6f}"
            r[col[f"Validity{side}"]] = str(int(validity[k]))
        r[col["GazePointX"]] = "-1" if miss[k] else f"{gx[k]:.0f}"
        r[col["GazePointY"]] = "-1" if miss[k] else f"{gy[k]:.0f}"
        if movie_start <= t_ms / 1000.0 < movie_end:
            r[col["StimuliName"]] = stimulus_name
        rows.append((t_ms, 1, r))
    for name, t in (("MovieStart", movie_start), ("MovieEnd", movie_end)):
        r = [""] * len(TOBII_COLUMNS)
        t_ms = t * 1000.0
        r[col["Timestamp"]] = str(int(round(t_ms)))
        r[col["Event"]] = name
        r[col["EventKey"]] = "1"
        r[col["Descriptor"]] = stimulus_name
        r[col["MicroSecondTimestamp"]] = str(int(round(t_ms * 1000)))
        rows.append((t_ms, 0, r))
    rows.sort(key=lambda item: (item[0], item[1]))
    with open(fname, "w", newline="") as fid:
        fid.write("\r\n".join(header) + "\r\n")
        fid.write("\t".join(TOBII_COLUMNS) + "\t\r\n")
        for _, _, r in rows:
            fid.write("\t".join(r) + "\t\r\n")
    return fname


def write_eyelink_asc(fname, gaze_x_px, gaze_y_px, pupil, sfreq, *, first_time=1000000,
                      screen_size_px=(1920, 1080), messages=(), blinks=()):
    """Write a monocular (left eye) EyeLink ASCII file as ``edf2asc`` does.

    Layout: ``**`` header with ``** DATE:``, a ``DISPLAY_COORDS`` message,
    ``START``, ``PUPIL AREA``, ``EVENTS``/``SAMPLES GAZE LEFT RATE ...``
    lines, one sample line per sample (``time x y pupil ...``; missing as
    ``.``), ``SBLINK``/``EBLINK`` pairs, ``MSG`` lines, ``END``. This is the
    subset of the format that ``mne.io.read_raw_eyelink`` parses.

    Parameters
    ----------
    fname : path-like
        Output ``.asc`` file.
    gaze_x_px, gaze_y_px : ndarray, shape (n_times,)
        Gaze in pixels (NaN = missing).
    pupil : ndarray, shape (n_times,)
        Pupil area in arbitrary units (NaN or ``<= 0`` = missing).
    sfreq : float
        Sampling frequency in Hz (integer ms steps: 250, 500, 1000 Hz).
    first_time : int
        Tracker time (ms) of the first sample.
    screen_size_px : tuple of int
        Written in ``DISPLAY_COORDS``.
    messages : sequence of (float, str)
        ``MSG`` lines: time in s from the first sample, text.
    blinks : sequence of (float, float)
        Blink onset and duration in s, written as ``SBLINK``/``EBLINK``.

    Returns
    -------
    fname : path-like
        ``fname``.
    """
    gx = np.asarray(gaze_x_px, float)
    gy = np.asarray(gaze_y_px, float)
    pu = np.asarray(pupil, float)
    step_ms = 1000.0 / sfreq
    times = first_time + np.round(np.arange(len(gx)) * step_ms).astype(np.int64)
    rate = f"{sfreq:.2f}"
    lines = [
        "** CONVERTED FROM D:\\DATA\\TEST.EDF using edfapi 4.2.1 Mar 20 2019",
        "** DATE: Wed Mar 15 10:00:00 2023",
        "** TYPE: EDF_FILE BINARY EVENT SAMPLE TAGGED",
        "** VERSION: EYELINK II 1",
        "** SOURCE: EYELINK CL",
        "** EYELINK 1000 PLUS",
        "**",
        "",
        f"MSG\t{first_time - 10} DISPLAY_COORDS 0 0 {screen_size_px[0] - 1} "
        f"{screen_size_px[1] - 1}",
        f"START\t{first_time} \tLEFT\tSAMPLES\tEVENTS",
        "PRESCALER\t1",
        "VPRESCALER\t1",
        "PUPIL\tAREA",
        f"EVENTS\tGAZE\tLEFT\tRATE\t {rate}\tTRACKING\tCR\tFILTER\t2",
        f"SAMPLES\tGAZE\tLEFT\tRATE\t {rate}\tTRACKING\tCR\tFILTER\t2",
    ]
    extra = []  # (time_ms, order, text)
    for t, text in messages:
        extra.append((first_time + int(round(t * 1000)), 0, f"MSG\t{first_time + int(round(t * 1000))} {text}"))
    for onset, dur in blinks:
        t0 = first_time + int(round(onset * 1000))
        t1 = first_time + int(round((onset + dur) * 1000)) - int(round(step_ms))
        extra.append((t0, 0, f"SBLINK L {t0}"))
        extra.append((t1, 2, f"EBLINK L {t0}\t{t1}\t{t1 - t0 + int(round(step_ms))}"))

    def fmt(v):
        return "   ." if not np.isfinite(v) else f"{v:7.1f}"

    body = []
    for k, t in enumerate(times):
        ok = np.isfinite(gx[k]) and np.isfinite(gy[k]) and np.isfinite(pu[k]) and pu[k] > 0
        if ok:
            body.append((int(t), 1, f"{t}\t{fmt(gx[k])}\t{fmt(gy[k])}\t{pu[k]:7.1f}\t..."))
        else:
            body.append((int(t), 1, f"{t}\t   .\t   .\t    0.0\t..."))
    body.extend(extra)
    body.sort(key=lambda item: (item[0], item[1]))
    lines += [text for _, _, text in body]
    lines.append(f"END\t{int(times[-1]) + 1} \tSAMPLES\tEVENTS\tRES\t  38.54\t  31.12")
    with open(fname, "w") as fid:
        fid.write("\n".join(lines) + "\n")
    return fname
