"""Bias of each band-power estimator on real 1/f EEG (methods.md §1.2).

Reads the real recordings of ``../shared/data/real/`` (EDF 128 Hz, BioSemi
BDF 500 Hz, BrainVision 1000 Hz, Neuroscan CNT 400 Hz; other labs' hardware,
none of it emotion data) with MNE, keeps the EEG channels, re-references
them to their average and removes each channel's mean. For each recording,
channel and band, the band power of 1-s windows from

* ``spectral`` with ``taper="hann"`` (the default) and ``taper="boxcar"``,
* ``butter`` (zero-phase Butterworth, order 4 per edge, then window variance),
* ``bandpass`` (MNE zero-phase FIR, then window variance),

averaged over the interior windows (the first and last are left out: the
filter estimators' padding rings into them; printed separately as the
``edge`` ratio, last window over the interior mean, delta band), is divided
by a reference: the Welch PSD of the
samples of those interior windows (4-s periodic Hann segments, 50 %
overlap, 0.25-Hz bins, mean removed) summed over the bins ``l <= f < h`` times 0.25 Hz. Four-second
Hann segments have a main lobe of +-0.5 Hz (the 1-s Hann's: +-2 Hz) and
side lobes falling as ``1/f**3``, so the reference is the best available
estimate of the band's true power in that recording. Printed: the median over channels of that ratio
for every recording and band, and the geometric mean over recordings.

The bands are seed5's with two gamma variants: 31-45 Hz and 31-50 Hz (at
50 Hz mains the FIR's transition band matters). The 128-Hz EDF shows the
Nyquist-near case.

What the recordings are: the CNT and BrainVision files are ordinary
scalp EEG with a 1/f spectrum; the EDF's EEG (its first 6.5 s: it goes
flat after that) is dominated by a slow drift
(power at 0.25 Hz 10**7 times that at 35 Hz, DC coupled), which
``--highpass 0.5`` removes first, as any preprocessing would, and 6.5 s
leave one reference segment; the BDF's three channels carry a 125-Hz test
tone with 99 % of their power. Both are shown, but the geometric mean is
over the BrainVision and CNT recordings only.

Usage: ``python benchmarks/bench_spectral_bias.py [--root ../shared/data/real]
[--highpass 0.5]`` (a few seconds; nothing is downloaded).
"""

import argparse
import os
from pathlib import Path

import numpy as np

BANDS = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 31.0),
    "gamma45": (31.0, 45.0),
    "gamma50": (31.0, 50.0),
}

#: (label, path under root, mne.io.read_raw keyword arguments, seconds kept)
RECORDINGS = [
    # the EDF's EEG goes flat after ~6.5 s (below 0.2 uV from 8.5 s)
    ("EDF 128 Hz", "edf-eeg-eog-ecg/test_edf_stim_channel.edf", {"infer_types": True}, 6.5),
    ("BDF 500 Hz", "biosemi-bdf/test_bdf_stim_channel.bdf", {}, None),
    ("BrainVision 1 kHz", "brainvision-eeg-eog/test.vhdr", {}, None),
    ("CNT 400 Hz", "neuroscan-cnt/scan41_short.cnt", {"data_format": "int16"}, None),
]

ESTIMATORS = [
    ("spectral hann", dict(method="spectral", taper="hann")),
    ("spectral boxcar", dict(method="spectral", taper="boxcar")),
    ("butter (IIR)", dict(method="butter")),
    ("bandpass (FIR)", dict(method="bandpass")),
]

_DEFAULT_ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real"


def read_eeg(path, kwargs, highpass=None, tmax=None):
    """EEG channels of one recording, average reference, mean removed: (n_channels, n_times)."""
    import mne

    raw = mne.io.read_raw(path, preload=True, verbose="error", **kwargs)
    if tmax is not None:
        raw.crop(0, tmax)
    if highpass:
        raw.filter(highpass, None, picks="all", verbose="error")
    picks = [i for i in mne.pick_types(raw.info, eeg=True)
             if not any(s in raw.ch_names[i].upper() for s in ("REF", "DIG", "STATUS"))]
    data = raw.get_data(picks=picks)
    data = data[np.std(data, axis=1) > 0]  # flat channels carry no band power
    data = data - data.mean(axis=0)  # average reference
    return data - data.mean(axis=1, keepdims=True), raw.info["sfreq"]


def reference_power(data, sfreq, bands, segment=4.0):
    """Welch band power: (n_channels, n_bands), 4-s Hann segments, exact band edges."""
    from scipy.signal import welch

    nper = int(round(segment * sfreq))
    f, p = welch(data, sfreq, window="hann", nperseg=nper, noverlap=nper // 2,
                 detrend="constant", scaling="density")
    df = f[1] - f[0]
    return np.stack([p[:, (f >= lo - 1e-9) & (f < hi - 1e-9)].sum(-1) * df
                     for lo, hi in bands.values()], axis=-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.fspath(_DEFAULT_ROOT))
    parser.add_argument("--highpass", type=float, default=None,
                        help="MNE FIR high-pass (Hz) of each whole recording first")
    args = parser.parse_args()

    from emopipe.features.spectral import band_power

    ratios = {name: [] for name, _ in ESTIMATORS}
    header = (f"{'recording':<26}{'estimator':<17}" + "".join(f"{b:>9}" for b in BANDS)
              + f"{'edge':>7}")
    print("band power / reference (4-s Hann Welch of the interior windows' samples), median over "
          f"channels; 1-s windows; high-pass: {args.highpass or 'none'}")
    print(header)
    print("-" * len(header))
    for label, rel, kwargs, tmax in RECORDINGS:
        path = Path(args.root) / rel
        if not path.is_file():
            print(f"{label:<20}missing: {path}")
            continue
        data, sfreq = read_eeg(path, kwargs, args.highpass, tmax)
        bands = {k: v for k, v in BANDS.items() if v[1] < sfreq / 2}
        n_win = int(round(sfreq))
        n_windows = data.shape[-1] // n_win
        # the reference sees the samples of the interior windows
        ref = reference_power(data[:, n_win : (n_windows - 1) * n_win], sfreq, bands)
        for name, kw in ESTIMATORS:
            bp_win = band_power(data, sfreq, bands, window=1.0, **kw)
            bp = bp_win[:, 1:-1].mean(axis=-2)  # interior windows
            r = np.median(bp / ref, axis=0)  # (n_bands,)
            edge = np.median(bp_win[:, -1, 0] / bp[:, 0])
            row = dict(zip(bands, r))
            if label.startswith(("BrainVision", "CNT")):  # stationary 1/f EEG
                ratios[name].append([row.get(b, np.nan) for b in BANDS])
            cells = "".join(f"{row[b]:>9.2f}" if b in row else f"{'-':>9}" for b in BANDS)
            print(f"{label + f' ({data.shape[0]} ch)':<26}{name:<17}{cells}{edge:>7.2f}")
        print()
    print("geometric mean over the stationary EEG recordings (BrainVision, CNT)")
    for name, rows in ratios.items():
        g = np.exp(np.nanmean(np.log(np.array(rows)), axis=0))
        print(f"{'':<26}{name:<17}" + "".join(f"{v:>9.2f}" for v in g))

    # the filters' bandwidth, from their frequency responses at 128 and 200 Hz
    from mne.filter import create_filter
    from scipy.signal import freqz

    from emopipe.features.filters import butter_power_gain

    print("\nequivalent noise bandwidth / (h - l), and power gain at 50 Hz")
    print(f"{'sfreq':<8}{'band':<12}{'FIR ENBW':>10}{'IIR ENBW':>10}{'FIR @50':>9}"
          f"{'IIR @50':>9}")
    for sfreq in (128.0, 200.0):
        freqs = np.linspace(0, sfreq / 2, 8193)
        for name, (lo, hi) in BANDS.items():
            if hi >= sfreq / 2:
                continue
            h = create_filter(None, sfreq, lo, hi, verbose=False)
            _, resp = freqz(h, worN=freqs, fs=sfreq)
            fir = np.abs(resp) ** 2
            iir = butter_power_gain(sfreq, lo, hi, freqs)
            i50 = np.argmin(np.abs(freqs - 50.0))
            print(f"{sfreq:<8g}{name:<12}{np.trapezoid(fir, freqs) / (hi - lo):>10.2f}"
                  f"{np.trapezoid(iir, freqs) / (hi - lo):>10.2f}{fir[i50]:>9.2f}"
                  f"{iir[i50]:>9.2f}")


if __name__ == "__main__":
    main()
