# LangCert: `make run` serves the demo, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_ENV := DJANGO_DEBUG=true

.PHONY: run test lint bench serve migrate seed lock clean messages

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.lock $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.lock
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.lock
	touch $@ $(VENV)/.runtime-installed

migrate: $(VENV)/.runtime-installed
	mkdir -p var
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py createcachetable

seed: migrate
	$(DEMO_ENV) $(PY) manage.py seed_demo

run: seed
	@echo "Serving http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

test: lint
	$(DEMO_ENV) $(PY) manage.py makemigrations --check --dry-run >/dev/null || \
		(echo "Model changes without a migration: run makemigrations." && exit 1)
	$(PY) scripts/run_tests.py

bench: $(VENV)/.dev-installed
	$(PY) -m bench

# Needs GNU gettext (Debian: gettext). The compiled .mo files are committed.
messages: $(VENV)/.dev-installed
	$(DEMO_ENV) $(PY) manage.py makemessages -l fr -l en --ignore ".venv/*" --ignore "bench/*" \
		--ignore "tests/*" --ignore "scripts/*"
	$(DEMO_ENV) $(PY) manage.py compilemessages --ignore ".venv/*"

lock:
	uv pip compile --quiet --python-version 3.11 requirements.in -o requirements.lock
	uv pip compile --quiet --python-version 3.11 requirements-dev.in -o requirements-dev.lock

clean:
	rm -rf var/test staticfiles
