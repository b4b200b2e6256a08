# Everything runs through uv; `make test` installs uv itself when the machine has none.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
LOWEST_ENV := .venv-airflow-3.1
PYTEST_ARGS ?=
CLUSTER_DIR ?= .cluster
DAGS_FOLDER ?= example_dags
CLUSTER_WORKERS ?= 2
# Debian packages `make cluster` and its tests run: PostgreSQL and Redis servers, headless Chromium
CLUSTER_DEBS := postgresql redis-server chromium chromium-driver

export UV_PYTHON_DOWNLOADS := never
export UV_COMMAND := $(UV)

.PHONY: help uv sync lint docs test test-all test-versions test-cluster-beside test-latest test-lowest test-cluster lowest-env lowest-lock demo bench dist clean cluster cluster-deps

help:
	@echo "make demo   - real Airflow runs capella_tasking_to_s3 against the emulator and an S3 server"
	@echo "make cluster - CeleryExecutor Airflow on PostgreSQL + Redis, 2 workers, emulator, S3 (foreground)"
	@echo "make test   - lint, type-check, docs and the fast suite on the newest Airflow (< 10 minutes)"
	@echo "make test-all - everything (CI): every suite on the newest and the lowest Airflow, and the cluster"
	@echo "make bench  - downloads vs aria2c, curl and the official SDK (benchmarks/RESULTS.md, results.png)"
	@echo "make lint   - ruff check, ruff format --check, mypy"
	@echo "make dist   - build and check the sdist and wheel of both distributions into dist/"
	@echo "make docs   - the documentation site (MkDocs, strict: a broken link or reference fails) into site/"

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

sync: uv
	$(UV) sync --frozen --all-extras

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy airflow_provider_capella capella-emulator/capella_emulator dev example_dags
	$(UV) run --frozen python dev/line_budget.py

# The documentation site: mkdocs.yml + docs/, the reference generated from the docstrings (mkdocstrings).
docs: sync
	NO_MKDOCS_2_WARNING=1 $(UV) run --frozen mkdocs build --strict --site-dir site

# `make test` is what a contributor runs between two changes (< 10 minutes): lint, strict docs, and the
# fast suite on the newest Airflow (unit tests, the emulator's contract, operators inside real Airflow)
# plus one end-to-end run of the flagship example. `make test-all` (CI) runs everything, in two streams:
# the whole suite on the newest then on the lowest Airflow in the foreground, and the cluster e2e tests
# beside them (they mostly wait on Airflow: heartbeats, retries, throttled downloads); the cluster's
# output goes to $(CLUSTER_TEST_LOG) and its summary is printed when it ends.
FAST_TESTS := (not e2e and not slow and not cluster) or flagship
CLUSTER_TEST_LOG ?= .cluster-tests.log

test: lint docs
	$(UV) run --frozen pytest -m "$(FAST_TESTS)" $(PYTEST_ARGS)

test-all: lint docs cluster-deps
	$(MAKE) --no-print-directory -j2 test-versions test-cluster-beside

test-versions:
	$(MAKE) --no-print-directory test-latest
	$(MAKE) --no-print-directory test-lowest

test-cluster-beside:
	@echo "cluster e2e tests: running beside the other suites, output in $(CLUSTER_TEST_LOG)"
	@$(MAKE) --no-print-directory test-cluster > $(CLUSTER_TEST_LOG) 2>&1; status=$$?; \
		echo "cluster e2e tests (end of $(CLUSTER_TEST_LOG)):"; tail -n 150 $(CLUSTER_TEST_LOG); exit $$status

test-latest: sync
	$(UV) run --frozen pytest -m "not cluster" $(PYTEST_ARGS)

# The cluster e2e tests (CeleryExecutor on PostgreSQL + Redis, mapped downloads over two workers, workers
# killed mid-task, the UI in Chromium), on one `make cluster` started by the tests.
test-cluster: sync cluster-deps
	$(UV) run --frozen pytest -m cluster $(PYTEST_ARGS)

# A second environment pinned to the lowest supported Airflow, so a user on 3.1 is never broken silently.
# ci/lowest-airflow.txt is the dependency set as it stood when Airflow 3.1.0 shipped (`make lowest-lock`):
# 3.1.0 itself breaks with libraries released after it (e.g. structlog 26), as its own constraints know.
# moto is the tests' stand-in for S3, not a dependency of users: it must behave like today's S3 (full-object
# checksums: moto 5.1 lacks them, 5.2.5 has them), whatever Airflow release the rest of the env dates from.
lowest-lock: uv
	printf 'apache-airflow==3.1.0\nmoto>=5.2\n' > /tmp/capella-lowest.in
	$(UV) pip compile pyproject.toml --group dev --extra amazon --extra openlineage -c /tmp/capella-lowest.in \
		--python-version 3.10 --universal --exclude-newer 2025-10-05 --exclude-newer-package moto=2026-11-30 \
		--exclude-newer-package py-partiql-parser=2026-11-30 --no-emit-package capella-emulator \
		--no-header -q -o ci/lowest-airflow.txt

lowest-env: uv
	test -x $(LOWEST_ENV)/bin/python || $(UV) venv --quiet $(LOWEST_ENV)
	$(UV) pip sync --quiet --python $(LOWEST_ENV)/bin/python ci/lowest-airflow.txt
	$(UV) pip install --quiet --python $(LOWEST_ENV)/bin/python --no-deps -e . -e capella-emulator

# The lowest env re-runs what depends on Airflow's version. Suites that never import Airflow (the emulator,
# the pure HTTP policy, the compose files' static checks) and the venv-building no-OpenLineage check ran
# in the newest env already; the cluster runs there once.
LOWEST_SKIPS := --ignore=tests/emulator --ignore=tests/http_policy --ignore=tests/compose \
	--ignore=tests/lineage/test_without_openlineage.py

test-lowest: lowest-env
	$(LOWEST_ENV)/bin/python -c "import airflow; assert airflow.__version__.startswith('3.1.'), airflow.__version__; print('lowest env: Airflow', airflow.__version__)"
	$(LOWEST_ENV)/bin/python -m pytest -m "not cluster" $(LOWEST_SKIPS) $(PYTEST_ARGS)

demo: sync
	$(UV) run --frozen python -m dev.demo

# PostgreSQL, Redis and Chromium from Debian's packages, installed only when one is missing (needs root
# or sudo). Their services are not enabled: `make cluster` runs its own servers under .cluster/.
cluster-deps:
	@missing=""; for deb in $(CLUSTER_DEBS); do dpkg -s $$deb >/dev/null 2>&1 || missing="$$missing $$deb"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# A production-like Airflow in the foreground: see docs/cluster.md. Ctrl-C stops everything.
cluster: sync cluster-deps
	CLUSTER_DIR=$(CLUSTER_DIR) DAGS_FOLDER=$(DAGS_FOLDER) CLUSTER_WORKERS=$(CLUSTER_WORKERS) \
		$(UV) run --frozen python -m dev.cluster

bench: sync
	$(UV) run --frozen python -m benchmarks.versus
	$(UV) run --frozen python -m benchmarks.run --only large,small,memory
	$(UV) run --frozen python -m benchmarks.triggers

# The sdist and wheel of both distributions into dist/, checked: metadata renders on PyPI (twine check),
# and each holds what it should (the provider's wheel the provider alone: dev/check_dist.py).
dist: sync
	rm -rf dist
	$(UV) build --all-packages --out-dir dist
	$(UV) run --frozen twine check --strict dist/*
	$(UV) run --frozen python -m dev.check_dist dist

clean:
	rm -rf dist build site .venv $(LOWEST_ENV) .mypy_cache .ruff_cache .pytest_cache
