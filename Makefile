# Wangge: `make run` sets everything up and serves the platform on the embedded default
# (SpatiaLite + a filesystem Celery broker); `make test` sets up and runs the whole suite
# (against PostGIS + Redis when DATABASE_URL / CELERY_BROKER_URL are set).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The pyenv Python on these machines cannot load SQLite extensions (SpatiaLite); Debian's can.
SYSTEM_PYTHON ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := binutils gdal-bin libgdal-dev libgeos-dev libproj-dev libsqlite3-mod-spatialite \
	python3 python3-venv python3-dev gettext
# The browser tests drive Debian's Chromium (never a downloaded browser); CJK fonts so
# Chinese renders in their screenshots; ffmpeg makes the HLS stream the camera player test
# plays (tests only: the platform never transcodes video).
TEST_APT_PACKAGES := chromium fonts-noto-cjk ffmpeg
# One stamp per requirements file: `make run` installs the runtime only (requirements.txt);
# `make test` and `make lint` add the development tools (requirements-dev.txt includes it).
STAMP := $(VENV)/.requirements-installed
DEV_STAMP := $(VENV)/.dev-requirements-installed

.PHONY: help setup setup-dev sysdeps test-sysdeps run test test-replica lint fmt migrate seed docs bench clean

help:
	@echo "make run    set up, migrate, load the reference district, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   set up and run the whole test suite"
	@echo "make test-replica  the read-replica tests against a real streaming replica (PostGIS)"
	@echo "make lint   ruff check, ruff format --check, mypy, makemigrations --check"

sysdeps:
	@missing=$$(for p in $(APT_PACKAGES) $(EXTRA_APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages: $$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

$(STAMP): requirements.txt
	@$(MAKE) --no-print-directory sysdeps
	@[ -x $(PY) ] || $(SYSTEM_PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

setup: $(STAMP)
	@mkdir -p var
	@if ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
		$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v0; fi

setup-dev: setup $(DEV_STAMP)

migrate: setup
	$(PY) manage.py migrate --no-input -v1

seed: migrate
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py register_layers
	$(PY) manage.py seed_calendar
	$(PY) manage.py seed_catalogue
	$(PY) manage.py generate_cases --if-empty --days 14 --per-day 60
	$(PY) manage.py rebuild_stats --if-empty --days 15
	$(PY) manage.py generate_population --demo --if-empty
	$(PY) manage.py generate_patrols --if-empty --days 3 --near demo-inspector --interval 20

run: export DEBUG ?= 1
run: seed
	$(PY) manage.py collectstatic --no-input -v0
	@$(PY) manage.py demo_banner --port $(PORT)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH exec $(VENV)/bin/honcho start -f Procfile -p $(PORT)

test-sysdeps:
	@$(MAKE) --no-print-directory sysdeps EXTRA_APT_PACKAGES="$(TEST_APT_PACKAGES)"

test: setup-dev test-sysdeps
	$(PY) -m pytest $(PYTEST_ARGS)

# A second PostgreSQL cluster on this machine, made with pg_basebackup from the one DATABASE_URL
# names, streaming from it on port $(REPLICA_PORT); the replica tests run against it, and it is
# stopped and removed whatever they say (.ci/pg_replica.sh; it may add a replication line to the
# primary's pg_hba.conf, see there).
REPLICA_PORT ?= 5433
test-replica: setup-dev
	@case "$$DATABASE_URL" in postgis:*|postgres*) ;; \
		*) echo "make test-replica needs DATABASE_URL=postgis://… (the primary)"; exit 2;; esac
	REPLICA_PORT=$(REPLICA_PORT) .ci/pg_replica.sh run $(PY) -m pytest tests/replica $(PYTEST_ARGS)

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py render_workflow --check

fmt: setup-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(PY) bench/locate.py

clean:
	rm -rf $(VENV) var
