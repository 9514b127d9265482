"""Config dicts, hashes and the YAML reader (emopipe.utils.config)."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from emopipe.utils.config import (
    config_from_dict,
    config_hash,
    config_to_dict,
    load_config,
    read_yaml,
)


@dataclass(frozen=True)
class _Cfg:
    window: float = 1.0
    bands: tuple = ("alpha", "beta")
    path: Path = Path("a/b")


def test_config_to_dict_makes_plain_values():
    d = config_to_dict({"c": _Cfg(), "n": np.float32(0.5), "a": np.arange(3)})
    assert d == {"c": {"window": 1.0, "bands": ["alpha", "beta"], "path": "a/b"},
                 "n": 0.5, "a": [0, 1, 2]}
    assert type(d["n"]) is float


def test_config_hash_is_sha256_of_sorted_compact_json():
    cfg = {"b": 1, "a": [1.5, "x"]}
    expected = hashlib.sha256(b'{"a":[1.5,"x"],"b":1}').hexdigest()
    assert config_hash(cfg, length=64) == expected
    assert config_hash(cfg) == expected[:16]
    assert config_hash({"a": [1.5, "x"], "b": 1}) == config_hash(cfg)  # key order is irrelevant
    assert config_hash({"b": 2, "a": [1.5, "x"]}) != config_hash(cfg)


def test_config_from_dict_refuses_unknown_keys_with_a_hint():
    with pytest.raises(ValueError, match=r"cfg.yaml: unknown key 'windwo' for _Cfg\. .*"
                                         r"Did you mean 'window'\?"):
        config_from_dict(_Cfg, {"windwo": 2.0}, source="cfg.yaml")
    with pytest.raises(TypeError, match="must be a mapping of field -> value, got list"):
        config_from_dict(_Cfg, [1, 2])
    assert config_from_dict(_Cfg, None) == _Cfg()


def test_read_yaml_reads_exponent_floats_without_a_dot(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 1e-9\nbig: 5E3\ndotted: 1.0e-3\nname: 1e\nint: 12\n")
    data = read_yaml(path)
    assert data == {"lr": 1e-9, "big": 5000.0, "dotted": 1e-3, "name": "1e", "int": 12}
    assert type(data["lr"]) is float


def test_read_yaml_refuses_an_alias_bomb_before_building_it(tmp_path):
    # 9 levels of 9 aliases each: 9**9 (387 million) leaves from a few hundred bytes
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size < 700
    with pytest.raises(ValueError, match=r"bomb.yaml: the YAML document expands to more than "
                                         r"100000 nodes"):
        read_yaml(path)


def test_read_yaml_counts_expanded_nodes_exactly(tmp_path):
    # a: 1 sequence + 3 scalars = 4 nodes; b: 1 sequence + 2 x 4 = 9; root mapping:
    # 1 + keys (2) + 4 + 9 = 16
    path = tmp_path / "small.yaml"
    path.write_text("a: &a [1, 2, 3]\nb: [*a, *a]\n")
    assert read_yaml(path, max_nodes=16) == {"a": [1, 2, 3], "b": [[1, 2, 3], [1, 2, 3]]}
    with pytest.raises(ValueError, match="more than 15 nodes"):
        read_yaml(path, max_nodes=15)


def test_read_yaml_runs_no_tags_and_names_the_file(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("x: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ValueError, match=r"evil.yaml: not a valid YAML file"):
        read_yaml(path)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert read_yaml(empty) is None


def test_load_config_reads_a_section(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("extract:\n  window: 2e0\n")
    assert load_config(path, _Cfg, section="extract") == _Cfg(window=2.0)
    with pytest.raises(ValueError, match=r"p.yaml: expected a top-level key 'distill'"):
        load_config(path, _Cfg, section="distill")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_config(tmp_path / "missing.yaml", _Cfg)


def test_config_hash_matches_json_dump_of_dataclass():
    text = json.dumps(config_to_dict(_Cfg()), sort_keys=True, separators=(",", ":"))
    assert config_hash(_Cfg(), length=64) == hashlib.sha256(text.encode()).hexdigest()


def test_read_config_section_names_bad_shapes(tmp_path):
    from emopipe.utils.config import read_config_section

    path = tmp_path / "c.yaml"
    path.write_text("extract:\n")  # an empty section is no fields
    assert read_config_section(path, "extract") == {}
    path.write_text("- 1\n- 2\n")
    with pytest.raises(TypeError, match=r"c.yaml: a config must be a mapping of field -> value "
                                        r"\(optionally under a top-level 'extract:' key\), got a "
                                        r"YAML list"):
        read_config_section(path, "extract", bare_ok=True)
    path.write_text("extract: [1, 2]\n")
    with pytest.raises(TypeError, match=r"the 'extract:' section must be a mapping of field -> "
                                        r"value, got a YAML list"):
        read_config_section(path, "extract")
    path.write_text("window: 2.0\n")
    assert read_config_section(path, "extract", bare_ok=True) == {"window": 2.0}
    with pytest.raises(ValueError, match=r"expected a top-level key 'extract', found \['window'\]"):
        read_config_section(path, "extract")
