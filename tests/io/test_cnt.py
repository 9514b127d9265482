"""Neuroscan CNT: the real file reads only as int16, the writer round-trips, bad files are named."""

import os
import re
import struct

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.io._cnt import cnt_header, read_cnt, read_cnt_segment
from emopipe.io.synth._cnt import write_cnt
from emopipe.utils._errors import DataFileError

CH = ["FP1", "CZ", "O2", "HEO"]


def _counts(x, resolution=0.1, fmt="int32"):
    info = np.iinfo(fmt)
    return np.clip(np.round(x / (resolution * 1e-6)), info.min, info.max)


def test_real_scan41_reads_only_as_int16(real_data_dir):
    fname = os.path.join(real_data_dir, "neuroscan-cnt", "scan41_short.cnt")
    head = cnt_header(fname)
    assert (head["n_channels"], head["n_samples"]) == (128, 0)  # the header states no count
    raw, fmt = read_cnt(fname)
    assert fmt == "int16"
    # 7.7 s at 400 Hz, 128 channels, as MNE's own test data documents
    assert (raw.info["sfreq"], raw.n_times, len(raw.ch_names)) == (400.0, 3070, 128)
    assert {"VEOGR", "HEOG", "LEFT_EAR", "NA1"} <= set(raw.ch_names)
    # the int32 reading MNE would give: half the samples, volts of noise
    import mne

    wrong = mne.io.read_raw_cnt(fname, data_format="int32", preload=False, verbose="error")
    assert wrong.n_times == 3070 // 2
    assert np.median(wrong.get_data(stop=1000).std(axis=1)) > 0.1
    assert np.median(raw.get_data(stop=4000).std(axis=1)) < 1e-3


@pytest.mark.parametrize("fmt", ["int16", "int32"])
@pytest.mark.parametrize("header_n_samples", [True, False])
def test_written_cnt_reads_back_exactly_in_its_format(tmp_path, rng, fmt, header_n_samples):
    x = rng.normal(0, 30e-6, (4, 700))
    x[1, 5] = 1.0  # beyond int16 at 0.1 uV: clipped to 32767 counts there
    fname = tmp_path / "t.cnt"
    write_cnt(fname, x, 250, CH, data_format=fmt, events=[(10, 3), (600, 7)],
              header_n_samples=header_n_samples)
    raw, got = read_cnt(fname)
    assert got == fmt
    assert (raw.info["sfreq"], raw.n_times, raw.ch_names) == (250.0, 700, CH)
    assert_allclose(raw.get_data(), _counts(x, fmt=fmt) * 1e-7, rtol=1e-6, atol=1e-12)
    assert_allclose(raw.annotations.onset, [10 / 250, 600 / 250])
    assert list(raw.annotations.description) == ["3", "7"]
    assert str(raw.info["meas_date"].date()) == "2018-08-10"


def test_segment_is_the_span_in_seconds(tmp_path, rng):
    x = rng.normal(0, 30e-6, (4, 1000))
    write_cnt(tmp_path / "t.cnt", x, 100, CH)
    raw, _ = read_cnt(tmp_path / "t.cnt")
    seg = read_cnt_segment(raw, ["O2", "FP1"], 2.0, 3.5)
    assert_allclose(seg, _counts(x[[2, 0], 200:350]) * 1e-7, rtol=1e-6, atol=1e-12)
    with pytest.raises(DataFileError, match=re.escape(
            "t.cnt: the span 9-11 s (samples 900-1100) is not inside the recording of 1000 "
            "samples (10 s at 100 Hz).")):
        read_cnt_segment(raw, ["O2"], 9.0, 11.0)


def test_cnt_readable_in_neither_format_is_named(tmp_path, rng):
    fname = tmp_path / "bad.cnt"
    write_cnt(fname, rng.normal(0, 30e-6, (4, 100)), 100, CH, data_format="int16")
    with open(fname, "r+b") as fh:  # an event table offset past the end of the file
        fh.seek(886)
        fh.write(struct.pack("<i", 10 ** 8))
    size = os.path.getsize(fname)
    reason = f"the event table offset 100000000 lies outside the data (file of {size} bytes)"
    with pytest.raises(DataFileError, match=re.escape(
            f"bad.cnt: not a readable Neuroscan CNT file in either sample format (as int16: "
            f"{reason}; as int32: {reason}). The file is truncated or corrupt")):
        read_cnt(fname)


def test_odd_byte_count_and_noise_refuse_each_format(tmp_path, rng):
    fname = tmp_path / "odd.cnt"
    # int16 samples of 3 channels x 5 samples = 30 bytes: not whole int32 samples
    write_cnt(fname, rng.normal(0, 30e-6, (3, 5)), 100, CH[:3], data_format="int16")
    raw, fmt = read_cnt(fname)
    assert fmt == "int16"
    fname = tmp_path / "noise.cnt"
    write_cnt(fname, rng.uniform(-0.1, 0.1, (4, 50)), 100, CH, data_format="int16",
              resolution=1000.0)  # counts of 1 mV: 0.1 V of noise, no EEG
    with pytest.raises(DataFileError, match=r"as int16: the samples read are not EEG \(median "
                                            r"channel SD 0.0[0-9]+ V, expected below 0.01 V\); "
                                            r"as int32: 400 data bytes hold 25 samples of 4 bytes, "
                                            r"but the header states 50\)\."):
        read_cnt(fname)


def test_short_file_is_named(tmp_path):
    fname = tmp_path / "short.cnt"
    fname.write_bytes(b"\0" * 100)
    with pytest.raises(DataFileError, match=re.escape(
            "short.cnt: 100 bytes, shorter than the 900-byte Neuroscan CNT header.")):
        read_cnt(fname)
