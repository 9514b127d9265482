# Two entry points, both doing their own set-up on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DEMO_OUT ?= demo_out

.PHONY: install demo test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

demo: install
	EMOPIPE_TQDM=$${EMOPIPE_TQDM:-on} $(VENV)/bin/emopipe demo --out $(DEMO_OUT)

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/bench_extract.py
	$(PY) benchmarks/bench_distill.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) build *.egg-info
