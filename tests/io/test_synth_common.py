import json

from emopipe.io.synth._common import write_ground_truth
from emopipe.io.synth._registry import load_writers


def test_write_ground_truth_writes_indent_one_json_and_returns_truth(tmp_path):
    truth = {"subjects": {"s01": [1, 2.5]}, "note": "é"}
    assert write_ground_truth(tmp_path, truth) is truth
    text = (tmp_path / "ground_truth.json").read_text(encoding="utf-8")
    assert text == json.dumps(truth, indent=1)
    assert json.loads(text) == truth


def test_writer_docstrings_are_filled():
    for name in load_writers().names():
        doc = load_writers().get(name).write.__doc__
        assert "%(" not in doc
        assert "    seed : int\n        Seed of the cohort.\n" in doc
