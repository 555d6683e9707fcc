# Everything sets itself up: a fresh clone needs only Python 3.9+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Two stamps in one venv: DEMO_STAMP, what make demo needs (divcli and its fast extra, the quick first
# run), and STAMP, what make test needs (every extra the suite runs: test, fast, dask, lm, stats). Each is
# remade when pyproject.toml changes; making STAMP makes DEMO_STAMP too, so make demo after make test
# installs nothing, and make test after make demo installs only the rest.
DEMO_STAMP := $(VENV)/.demo-stamp
STAMP := $(VENV)/.installed-stamp

# make alone installs what make test needs, as it always has.
.DEFAULT_GOAL := install

.PHONY: bench-lm bench-lm-scaling bench-stream install demo test test-fast test-minimal docs fuzz clean bench bench-install bench-dask bench-scaling bench-distill

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[fast]'
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test,fast,dask,lm,stats]'
	$(PIP) scikit-learn mpmath  # references in the tests: divcli mi's (scikit-learn), the estimators' and joint tables' exact values (mpmath)
	touch $(DEMO_STAMP) $(STAMP)

install: $(STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/divcli kl samples/target.csv samples/uniform.csv
	$(BIN)/divcli ce samples/labels.csv samples/logits.csv --p-as labels --q-as logits
	$(BIN)/divcli kl samples/teacher.csv samples/student.csv --p-as logits --q-as logits -T 2
	$(BIN)/divcli compare samples/target.csv samples/uniform.csv
	$(BIN)/divcli libraries samples/hist_a.csv samples/hist_b.csv --normalize

# The whole suite, then the numeric tests again with numpy's AVX-512 kernels off, as on an AVX2
# machine: numpy's exp and log give other last digits there (a no-op on CPUs without AVX-512), and
# once more with numba's fused accurate kernel on rows of any width (DIVCLI_KERNEL, docs/environment.md).
# Last, the kernels' own tests (tests/numerics: the accuracy suite) with the fused kernel compiled for a
# generic x86-64 (NUMBA_CPU_NAME=generic: no AVX, no FMA, so other roundings where multiply-adds would
# be fused) and numpy's AVX-512 off, as on an older machine: about 40 s of CPU here, 8 of them the
# first compile. numba keys its cache by CPU name and features, so this run never loads the host's
# build from the shared cache, and later runs load the generic one (tests/numerics/test_portability.py).
NO_AVX512 := X86_V4 AVX512_ICL AVX512_SPR

# Every extra is installed here: a test that would skip for a missing one fails instead (tests/helpers/extras.py).
test: $(STAMP)
	DIVCLI_TEST_EXTRAS_REQUIRED=1 $(BIN)/python -m pytest -q
	DIVCLI_TEST_EXTRAS_REQUIRED=1 NPY_DISABLE_CPU_FEATURES="$(NO_AVX512)" $(BIN)/python -m pytest -q -m numeric
	DIVCLI_TEST_EXTRAS_REQUIRED=1 DIVCLI_KERNEL=fused $(BIN)/python -m pytest -q -m numeric
	DIVCLI_TEST_EXTRAS_REQUIRED=1 DIVCLI_KERNEL=fused NUMBA_CPU_NAME=generic NPY_DISABLE_CPU_FEATURES="$(NO_AVX512)" \
		$(BIN)/python -m pytest -q -m numeric tests/numerics

# The quick part while developing, on every CPU (pytest-xdist), and the time it took: no Dask cluster,
# no test of a second or more (pytest markers), one case per family of the reference sweeps, and
# Hypothesis's dev profile (100 examples a property). make test runs everything.
test-fast: $(STAMP)
	@start=$$(date +%s); \
	HYPOTHESIS_PROFILE=dev DIVCLI_TEST_SWEEPS=sample $(BIN)/python -m pytest -q -n auto -m "not dask and not slow"; \
	status=$$?; echo "make test-fast: $$(( $$(date +%s) - start )) s"; exit $$status

# The whole suite as a plain install has it: a venv of its own with the package and its test extra
# only (no pyarrow, orjson, Dask, SciPy or torch). Every test passes or skips, saying which extra it needs.
MINIMAL_VENV := .venv-minimal
MINIMAL_STAMP := $(MINIMAL_VENV)/.installed-stamp

$(MINIMAL_STAMP): pyproject.toml
	$(PYTHON) -m venv $(MINIMAL_VENV)
	$(MINIMAL_VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(MINIMAL_STAMP)

test-minimal: $(MINIMAL_STAMP)
	$(MINIMAL_VENV)/bin/python -m pytest -q -rs

# The documentation site (mkdocs.yml, docs/): the docs extra into the same venv (make test does not
# need it), then a strict build into site/: a broken link or an unreadable docstring fails it.
DOCS_STAMP := $(VENV)/.docs-stamp

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Coverage-guided fuzzing of the readers (atheris), FUZZ_SECONDS of CPU; crashes land in fuzz/crash-*.
# The corpus: the samples and tests/fuzz_corpus (hostile files: NUL-filled, endless-line, malformed binaries).
FUZZ_SECONDS ?= 1800
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet atheris
	mkdir -p fuzz/corpus && cp samples/* tests/fuzz_corpus/* fuzz/corpus/
	cd fuzz && ../$(BIN)/python ../tests/fuzz_readers.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 corpus

clean:
	rm -rf $(VENV) $(MINIMAL_VENV) .pytest_cache .hypothesis build site *.egg-info

# Benchmarks: divcli against pandas + SciPy, naive numpy and torch, side by side in one run.
# The alternatives live in their own venv; torch is pinned (a CPU build, from local disk).
BENCH_VENV := benchmarks/.venv
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp
BENCH_ARGS ?=

$(BENCH_STAMP):
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet numpy scipy pandas torch==2.13.0
	touch $(BENCH_STAMP)

# divcli as users get it: a regular (not editable) install of this tree with the fast extra,
# reinstalled on every run so that what is measured is exactly this tree.
DIVCLI_VENV := benchmarks/.venv-divcli

bench-install:
	test -x $(DIVCLI_VENV)/bin/python || $(PYTHON) -m venv $(DIVCLI_VENV)
	$(DIVCLI_VENV)/bin/python -m pip install --quiet '.[fast]'
	$(DIVCLI_VENV)/bin/python -m pip install --quiet --force-reinstall --no-deps .

bench: $(STAMP) $(BENCH_STAMP) bench-install
	$(BIN)/python benchmarks/run.py --divcli $(DIVCLI_VENV)/bin/divcli --alt-python $(BENCH_VENV)/bin/python $(BENCH_ARGS)

# Issue 5's 10 GB stream on stdin against pandas, with peak memory (about 10 minutes here).
bench-stream: $(STAMP) $(BENCH_STAMP) bench-install
	$(BIN)/python benchmarks/run.py --divcli $(DIVCLI_VENV)/bin/divcli --alt-python $(BENCH_VENV)/bin/python \
		--cases stream --stream-gb 10 --repeats 1 --results benchmarks/RESULTS-stream.md $(BENCH_ARGS)

# distill -q against kl -q on two 2000 × 32000 float16 .npy of logits with labels (needs only divcli's venv;
# BENCH_ARGS="--distill-rows 500" for a shorter run).
bench-distill: $(STAMP) bench-install
	$(BIN)/python benchmarks/run.py --divcli $(DIVCLI_VENV)/bin/divcli --cases distill \
		--results benchmarks/RESULTS-distill.md $(BENCH_ARGS)

# The language-model case (benchmarks/lm.py): kl -q on two near-identical 1024 × 131072 float16 .npy of logits,
# numba's fused kernel and numpy's, against torch float32 and float64 on 1, 2, 4, 8, 16 threads (those the machine
# has), with its floors, the first call after installing, an unwritable cache and an extended-precision check; then
# divcli lm's whole report (with labels) against kl -q, torch float32's same report and llama.cpp's formulas in
# numpy on the same pair; compare and distill against kl on 2000 × 32000, and the 1M × 16 kernel against torch float64
# (benchmarks/RESULTS-lm.md). BENCH_ARGS="--rows 8192" for the full case on a 16-core, 64 GiB machine.
bench-lm: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python benchmarks/lm.py --alt-python $(BENCH_VENV)/bin/python $(BENCH_ARGS)

# The same case over threads and over the vocabulary (C = 8k ... 256k at a fixed number of values), divcli against
# torch float32: benchmarks/RESULTS-lm-scaling.md, benchmarks/lm-scaling.svg and its copy docs/lm-scaling.svg.
bench-lm-scaling: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python benchmarks/lm_scaling.py --alt-python $(BENCH_VENV)/bin/python $(BENCH_ARGS)

# The Dask engine against the local one on the same sharded 1M-row input (needs only divcli's venv).
bench-dask: $(STAMP)
	$(BIN)/python benchmarks/run.py --cases dask --results benchmarks/RESULTS-dask.md $(BENCH_ARGS)

# divcli's long case (two N × 16 CSVs → per-row KL as CSV) and its .npy case at 10k, 100k, 1M and 4M rows
# (BENCH_ARGS="--scaling-rows ..." for others): benchmarks/RESULTS-scaling.md, benchmarks/scaling.svg and its
# copy docs/scaling.svg (about 3 minutes here, plus about 2 to generate the 2 GB of data the first time).
bench-scaling: $(STAMP) bench-install
	$(BIN)/python benchmarks/run.py --divcli $(DIVCLI_VENV)/bin/divcli --cases scaling --repeats 5 $(BENCH_ARGS)
