# The two commands a user needs: `make run` and `make test`. Both set up .venv from scratch.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON ?= python3
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup chromium index run test eval bench lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for tests/test_browser.py (Playwright drives it; no browser is ever downloaded).
# CI starts on a clean machine as root; elsewhere sudo is tried, else the browser tests are skipped.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "note: $(CHROMIUM) is missing (apt-get install chromium): the browser tests will be skipped"; fi; \
	fi

index: setup  ## build index/ from corpus/ if missing or stale (unchanged documents are skipped)
	$(VENV)/bin/assistant ingest --rebuild-if-stale --quiet

run: index  ## chat UI at http://127.0.0.1:7860
	$(VENV)/bin/assistant serve

test: setup chromium
	$(PY) -m pytest -q

eval: index
	$(VENV)/bin/assistant eval

bench: index
	$(PY) benchmarks/bench.py

lock: setup  ## refresh requirements.lock from the current environment
	$(PY) -m pip freeze --exclude-editable | grep -v -i '^torch==' > requirements.lock

clean:
	rm -rf $(VENV) index/chroma index/bm25 index/*.json
