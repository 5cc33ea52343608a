# The README's commands. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test screenshots lint format init-db clean browser-deps chromium postgresql redis bench bench-languages wrk extract translations

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.run-installed: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

# The translations: the committed .po catalogs, compiled into the .mo files
# Flask-Babel reads (built here, never committed).
CATALOGS := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
PYBABEL := $(VENV)/bin/pybabel
# The message keywords of the code and templates: gettext's, and Flask-Babel's lazy ones.
KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2

%.mo: %.po $(VENV)/.run-installed
	$(PYBABEL) -q compile -i $< -o $@

# Extract every message into app/translations/messages.pot (or POT=...) and
# merge it into each catalog; then translate what is new in each .po
# (README, Translating). The tests extract too, to see the catalogs are current.
POT ?= app/translations/messages.pot
extract: $(VENV)/.run-installed
	$(PYBABEL) -q extract -F babel.cfg $(KEYWORDS) --add-location=file --sort-output --add-comments=TRANSLATORS: \
		--project=microblog -o $(POT) app

translations: extract
	$(PYBABEL) -q update -i $(POT) -d app/translations --no-fuzzy-matching
	$(MAKE) --no-print-directory $(COMPILED)

run: $(VENV)/.run-installed $(COMPILED)
	$(PY) db_create.py
	$(PY) run.py --host $(HOST) --port $(PORT)

init-db: $(VENV)/.run-installed
	$(PY) db_create.py

test: $(VENV)/.dev-installed $(COMPILED) browser-deps postgresql redis wrk
	$(PY) -m pytest $(PYTEST_ARGS)

# Refresh the README's pictures in docs/screenshots/ (the tests alone write
# theirs to a temporary folder). CI=true: fail, not skip, without Chromium.
screenshots: $(VENV)/.dev-installed browser-deps
	CI=true SCREENSHOT_DIR=docs/screenshots $(PY) -m pytest -p no:cacheprovider -q \
		tests/browser/test_look.py tests/browser/test_following.py tests/browser/test_passkeys.py tests/browser/test_sessions.py tests/browser/test_languages.py -k screenshots

# The benchmark (README, Performance): a few minutes, all on loopback.
bench: $(VENV)/.dev-installed $(COMPILED) postgresql wrk
	$(PY) bench/run.py

# What the languages cost the signed-in page, against the app before them.
bench-languages: $(VENV)/.dev-installed $(COMPILED)
	$(PY) bench/languages.py

# wrk, the benchmark's load generator, from Debian's package.
wrk:
	@command -v wrk >/dev/null || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; \
	else \
		echo "wrk is missing: the benchmark cannot run. Install it: sudo apt-get install wrk"; \
	fi

# The tests start a real PostgreSQL server from Debian's package; without
# it, its tests skip, outside CI.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; \
	else \
		echo "PostgreSQL is missing: its tests will skip. Install it: sudo apt-get install postgresql"; \
	fi

# The rate-limit tests start a real Redis server from Debian's package;
# without it, its tests skip, outside CI.
redis:
	@command -v redis-server >/dev/null || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server; \
	else \
		echo "Redis is missing: its tests will skip. Install it: sudo apt-get install redis-server"; \
	fi

# The browser tests drive Debian's Chromium (never a downloaded browser) and
# inject axe-core from the npm registry. Without them they skip, outside CI.
browser-deps: node_modules/.installed
	@command -v chromium >/dev/null || $(MAKE) --no-print-directory chromium

chromium:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
	else \
		echo "Chromium is missing: the browser tests will skip. Install it: sudo apt-get install chromium chromium-driver"; \
	fi

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	else echo "npm is missing: the accessibility checks will skip. Install it: sudo apt-get install npm"; fi

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .venv-* node_modules .pytest_cache .ruff_cache .hypothesis
