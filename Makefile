# make demo / make test on a fresh machine with nothing but Python.
# Override the torch requirement with e.g. `make test TORCH=torch==2.5.1`.
# A torch already installed in $(PYTHON) is reused: the venv then sees the base
# interpreter's packages and no torch is installed.
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test venv clean

$(PY):
	@if $(PYTHON) -c "import torch" 2>/dev/null; then \
	  echo "reusing the torch installed in $(PYTHON)"; \
	  $(PYTHON) -m venv --system-site-packages $(VENV); \
	else \
	  $(PYTHON) -m venv $(VENV); \
	fi

$(VENV)/.torch: | $(PY)
	@$(PY) -c "import torch" 2>/dev/null || $(PIP) install "$(TORCH)"
	@touch $@

$(VENV)/.installed: setup.cfg pyproject.toml $(VENV)/.torch
	$(PIP) install -e ".[dev,ray]"
	@touch $@

venv: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/distill demo

test: $(VENV)/.installed
	$(PY) -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache
