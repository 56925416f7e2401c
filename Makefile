# The two commands a newcomer needs:
#   make demo   set up everything (venv, install, migrate) and run the demo on the embedded default
#   make test   run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo demo-no-serve test lint install

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "voc needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

# Re-install only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/python manage.py voc_demo $(ARGS)

demo-no-serve: install
	$(BIN)/python manage.py voc_demo --no-serve $(ARGS)

test: install
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/test.sh $(ARGS)

lint: install
	$(BIN)/ruff check .
