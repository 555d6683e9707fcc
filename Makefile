# Everything sets itself up: a fresh clone needs only Python 3.9+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/divcli kl samples/target.csv samples/uniform.csv
	$(BIN)/divcli ce samples/labels.csv samples/logits.csv --p-as labels --q-as logits
	$(BIN)/divcli kl samples/teacher.csv samples/student.csv --p-as logits --q-as logits -T 2

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
