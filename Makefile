# Two commands for people: `make run` and `make test`. Everything else here is
# what they install on the way, each step skipped when already in place.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION    := 0.13.9
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
VENV          := .venv
BIN           := $(VENV)/bin
UV            := $(shell command -v uv 2>/dev/null || echo .tools/uv/bin/uv)
MINIO         := .tools/bin/minio
JARS_STAMP    := spark_jobs/jars/.copied
VENV_STAMP    := $(VENV)/.synced
PYTEST_ARGS   ?=
TEST_WORKERS  ?= 2
# One pytest worker per core: a third was measured slower on two cores (2479 s against 2308 s
# for the whole suite), its JVMs and dbt runs contending for the same CPU.

.PHONY: help run test lint bench tools-run tools-test jars minio chromium hey python-deps require-% clean-data

help:
	@echo "make run    install what is missing, run the platform on the embedded defaults"
	@echo "make test   install what is missing (MinIO and Chromium too), lint, run every test"
	@echo "make bench  run the benchmarks, write bench/results/*.json and the README table"

run: tools-run
	$(BIN)/lakehouse run
	$(BIN)/lakehouse models train
	$(BIN)/lakehouse models evaluate
	$(BIN)/lakehouse models score
	$(BIN)/lakehouse doctor

test: tools-test lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

lint: python-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: tools-test hey
	$(BIN)/python -m bench

tools-run: python-deps jars minio
tools-test: tools-run chromium

# A missing system tool stops the build at once with one line saying how to get it.
require-java:
	@command -v java >/dev/null || { echo "missing tool: java (Java 17+). Install: apt-get install -y openjdk-17-jdk-headless"; exit 1; }
require-mvn:
	@command -v mvn >/dev/null || { echo "missing tool: mvn (Maven). Install: apt-get install -y maven"; exit 1; }
require-go:
	@command -v go >/dev/null || { echo "missing tool: go (Go 1.24+). Install: apt-get install -y golang or https://go.dev/doc/install"; exit 1; }
require-python3.11:
	@command -v python3.11 >/dev/null || { echo "missing tool: python3.11. Install: apt-get install -y python3.11 python3.11-venv"; exit 1; }

python-deps: $(VENV_STAMP)
$(VENV_STAMP): pyproject.toml uv.lock | require-python3.11
	@[ -x "$(UV)" ] || python3.11 -m pip install --quiet --target .tools/uv "uv==$(UV_VERSION)"
	@[ -x "$(UV)" ] || { echo "missing tool: uv, and pip could not install it from PyPI"; exit 1; }
	$(UV) sync --frozen --python python3.11
	@touch $@

jars: $(JARS_STAMP)
$(JARS_STAMP): spark_jobs/pom.xml | require-java require-mvn
	rm -rf spark_jobs/jars
	cd spark_jobs && mvn -q -B package && rm -rf target
	@touch $@

minio: $(MINIO)
$(MINIO): | require-go
	GOBIN=$(CURDIR)/.tools/bin go install github.com/minio/minio@$(MINIO_VERSION)

chromium:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

hey:
	@command -v hey >/dev/null || { \
	  echo "installing Debian's hey for the API load benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hey >/dev/null; }

clean-data:
	rm -rf data
