"""Fuzz the input path: corrupted DEAP downloads through ``emopipe check`` and ``emopipe extract``.

Writes one small synthetic DEAP download (s01: ``.dat``, ``.mat``, raw ``.bdf``
with one trial, ratings CSV), then makes ``--n`` variants, each with one file
damaged: truncated at a random offset, random bytes flipped, replaced by a
crafted pickle (code payload, deep nesting, bad codec, trailing bytes,
zero-stride or oversized arrays, memo bombs, random opcodes), replaced by an
odd file (folder, FIFO, ``/dev/zero`` symlink), or a CSV field set to a bad
token. Each variant runs ``emopipe check`` and ``emopipe extract --strict``
(the damaged file's source picked with ``--source``) in a subprocess with a
memory limit and a time-out, and is counted as

- ``named``: exit code 1 and no traceback (a user error, one paragraph),
- ``traceback``: a Python traceback on stderr (a bug to fix),
- ``ok``: exit code 0 (the damage did not matter, e.g. a flipped sample value),
- ``hang`` / ``crash``: time-out, or killed (memory limit, signal).

Usage::

    python benchmarks/fuzz_inputs.py --n 150 --seed 0 --out /tmp/fuzz

Run it from the checkout (``PYTHONPATH=$PWD``); the emopipe imported by the
subprocesses is the one on ``PYTHONPATH``.
"""

import argparse
import json
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

FILES = {
    "dat": ("data_preprocessed_python/s01.dat", "preprocessed_python"),
    "mat": ("data_preprocessed_matlab/s01.mat", "preprocessed_matlab"),
    "bdf": ("data_original/s01.bdf", "raw"),
    "csv": ("metadata_csv/participant_ratings.csv", "preprocessed_python"),
}
MEMORY_LIMIT = 3 * 1024**3  # bytes of address space per command


def _s(text):
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _i(n):
    return b"J" + struct.pack("<i", n)


def _t(*items):
    return b"(" + b"".join(items) + b"t"


def _crafted_pickles(rng, good):
    """Name -> bytes of a crafted ``.dat`` (``good``: the real file's bytes)."""
    zero = (b"cnumpy\nndarray\n" + _t(_t(_i(40), _i(40), _i(8064)), _s("<f8"),
            b"B" + struct.pack("<I", 65536) + b"\0" * 65536, _i(0), _t(_i(0), _i(0), _i(0)))
            + b"R")
    big = (b"cnumpy.core.multiarray\n_reconstruct\n" +
           _t(b"cnumpy\nndarray\n", _t(_i(100_000), _i(100_000)), b"C\x01b") + b"R")
    n = 200_000
    soup = bytes(rng.choice(b"]}()aestuN.KJXq" + bytes([0x80, 0x85, 0x86, 0x94]))
                 for _ in range(rng.randrange(10, 2000)))
    return {
        "payload": b"\x80\x02cposix\nsystem\n" + _s("touch /tmp/emopipe-fuzz-pwned") +
                   b"\x85R.",
        "builtins_eval": b"\x80\x02cbuiltins\neval\n" + _s("1+1") + b"\x85R.",
        "deep_list": b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b".",
        "deep_tuple": b"\x80\x02" + b"(" * n + b")" + b"t" * n + b".",
        "bad_codec": b"\x80\x02}" + _s("data") + b"c_codecs\nencode\n" + _s("abc") +
                     _s("no-such-codec") + b"\x86Rs.",
        "trailing": good + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))),
        "zero_stride": b"\x80\x02}(" + _s("data") + zero + _s("labels") + zero + b"u.",
        "huge_reconstruct": b"\x80\x02}(" + _s("data") + big + _s("labels") + big + b"u.",
        "memo_bomb": b"\x80\x02Nr\xff\xff\xff\x7f.",
        "bytes8_bomb": b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b".",
        "opcode_soup": b"\x80\x02" + soup,
        "empty": b"",
        "not_a_dict": b"\x80\x02]" + _i(1) + b"a.",
    }


def _mutate(rng, path, kind, base):
    """Damage ``path`` (a copy inside the variant); returns a label of what was done."""
    data = path.read_bytes()
    choices = ["truncate", "flip", "odd"]
    if kind == "dat":
        choices += ["crafted"] * 3
    if kind == "csv":
        choices += ["csv_field"] * 3
    if kind == "bdf":
        choices += ["bdf_header"] * 2
    how = rng.choice(choices)
    if how == "truncate":
        cut = rng.randrange(0, len(data))
        path.write_bytes(data[:cut])
        return f"truncate@{cut}"
    if how == "flip":
        raw = bytearray(data)
        n = rng.choice([1, 4, 32])
        # the header holds the structure: flip there half of the time
        span = min(len(raw), 4096) if rng.random() < 0.5 else len(raw)
        for _ in range(n):
            raw[rng.randrange(span)] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(raw))
        return f"flip{n}"
    if how == "odd":
        what = rng.choice(["folder", "fifo", "devzero"])
        path.unlink()
        if what == "folder":
            path.mkdir()
        elif what == "fifo":
            os.mkfifo(path)
        else:
            os.symlink("/dev/zero", path)
        return f"odd_{what}"
    if how == "crafted":
        name, raw = rng.choice(sorted(_crafted_pickles(rng, data).items()))
        path.write_bytes(raw)
        return f"pickle_{name}"
    if how == "bdf_header":
        raw = bytearray(data)
        n_ch = 48
        fields = [(184, 8), (236, 8), (244, 8), (252, 4)] + [
            (256 + n_ch * off + rng.randrange(n_ch) * width, width)
            for off, width in ((104, 8), (112, 8), (120, 8), (128, 8), (216, 8))]
        offset, width = rng.choice(fields)
        token = rng.choice(["", "0", "-1", "x", "1e308", "nan", "99999999", "0.0"])
        raw[offset:offset + width] = token.ljust(width).encode()[:width]
        path.write_bytes(bytes(raw))
        return f"bdf_field@{offset}={token!r}"
    # csv_field
    lines = data.decode("utf-8-sig").splitlines()
    row = rng.randrange(1, len(lines))
    cells = lines[row].split(",")
    col = rng.randrange(len(cells))
    token = rng.choice(["", "inf", "-inf", "nan", "-1", "0", "10", "abc", "1e400", "3.5"])
    if rng.random() < 0.2:
        del lines[row]
        path.write_text("\n".join(lines) + "\n")
        return "csv_row_deleted"
    cells[col] = token
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return f"csv_col{col}={token!r}"


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run(args, timeout):
    env = dict(os.environ, EMOPIPE_TQDM="off")
    try:
        res = subprocess.run([sys.executable, "-m", "emopipe", *args], capture_output=True,
                             text=True, timeout=timeout, preexec_fn=_limit_memory, env=env)
    except subprocess.TimeoutExpired:
        return "hang", ""
    text = res.stderr + res.stdout
    if "Traceback" in res.stderr:
        return "traceback", res.stderr.strip().splitlines()[-1]
    if res.returncode == 0:
        return "ok", ""
    if res.returncode == 1:
        errors = [ln for ln in text.splitlines() if "error:" in ln or ln.startswith("  - ")]
        return "named", (errors[-1] if errors else text.strip()[-200:])
    return "crash", f"exit {res.returncode}: {text.strip()[-200:]}"


def main(argv=None):
    """Run the fuzzer; print and return the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=150, help="variants to try")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="folder for the report (default: a temp dir)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per command")
    args = parser.parse_args(argv)
    from emopipe.io.synth.deap import write_deap_synth

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="emopipe-fuzz-"))
    out = Path(args.out) if args.out else work
    out.mkdir(parents=True, exist_ok=True)
    base = work / "base"
    write_deap_synth(base, n_subjects=1, n_trials=2, seed=args.seed, raw=True, raw_trials=1,
                     matlab=True)
    counts = {cmd: Counter() for cmd in ("check", "extract")}
    by_kind = defaultdict(Counter)
    records = []
    for i in range(args.n):
        kind = rng.choice(sorted(FILES))
        rel, source = FILES[kind]
        variant = work / f"v{i:04d}"
        shutil.copytree(base, variant, copy_function=os.link)  # hard links: cheap copies
        target = variant / rel
        target.unlink()
        shutil.copy(base / rel, target)  # the damaged file is a real copy
        what = _mutate(rng, target, kind, base)
        rec = {"i": i, "file": rel, "mutation": what}
        for cmd in ("check", "extract"):
            argv_ = [cmd, "--dataset", "deap", "--root", str(variant)]
            if cmd == "extract":
                argv_ += ["--cache", str(variant / "cache"), "--source", source, "-j", "1",
                          "--strict"]
            outcome, detail = _run(argv_, args.timeout)
            counts[cmd][outcome] += 1
            by_kind[what.split("@")[0].split("=")[0]][f"{cmd}:{outcome}"] += 1
            rec[cmd] = outcome
            rec[f"{cmd}_detail"] = detail
        records.append(rec)
        print(f"[{i + 1}/{args.n}] {rel}: {what}: check {rec['check']}, extract "
              f"{rec['extract']}" + (f" ({rec['extract_detail'] or rec['check_detail']})"
                                     if "traceback" in (rec["check"], rec["extract"]) else ""),
              flush=True)
        shutil.rmtree(variant, ignore_errors=True)
    pwned = Path("/tmp/emopipe-fuzz-pwned").exists()
    summary = {"n_variants": args.n, "seed": args.seed, "counts": {k: dict(v) for k, v in
                                                                     counts.items()},
               "payload_ran": pwned, "by_mutation": {k: dict(v) for k, v in by_kind.items()}}
    (out / "fuzz_report.json").write_text(json.dumps({"summary": summary, "records": records},
                                                     indent=1))
    shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(summary["counts"]), f"payload ran: {pwned}", f"report: {out}", sep="\n")
    return summary


if __name__ == "__main__":
    main()
