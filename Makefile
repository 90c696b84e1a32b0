# Otklik — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/otklik_test
# Recursive (=) on purpose: re-evaluated after `setup` has installed uv.
UV = $(or $(shell command -v uv 2>/dev/null),$(wildcard $(HOME)/.local/bin/uv),uv)
MANAGE = $(UV) run --locked python manage.py
PYTEST_ARGS ?=
# pytest-xdist processes per run (auto = one per core); each has its own test database.
TEST_WORKERS ?= auto

.PHONY: setup sync run test test-sqlite test-postgres lint format bench-seed bench bench-import bench-sla bench-rules bench-email bench-webhook browser-deps pdf-deps imap-deps

# Create the virtual environment from uv.lock (installs uv with pip when it is missing).
setup:
	@command -v uv >/dev/null 2>&1 || test -x "$(HOME)/.local/bin/uv" || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --user --break-system-packages uv
	@$(MAKE) --no-print-directory sync

sync:
	@$(UV) sync --locked --quiet
	@$(MANAGE) compile_translations

run: setup pdf-deps
	@$(MANAGE) migrate --noinput
	@$(MANAGE) collectstatic --noinput --verbosity 0
	@$(MANAGE) seed_demo
	@if [ -z "$$EMAIL_HOST" ] && [ -z "$$EMAIL_BACKEND" ]; then \
		echo "No EMAIL_HOST given: outgoing mail is written to var/sent-mail/ instead of being sent."; \
		export EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend; \
	fi; PORT=$(PORT) $(MANAGE) runall --port $(PORT)

# Pango and a Cyrillic font for WeasyPrint (QR label sheets as PDF). Without them the app runs,
# and printing labels answers with an error.
pdf-deps:
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || ! fc-list 2>/dev/null | grep -qi dejavu; then \
		echo "Installing Pango and DejaVu fonts (apt-get) for PDF labels"; \
		((apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig >/dev/null) \
		|| echo "Warning: could not install Pango; QR label PDFs will not work until it is installed."; \
	fi

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing chromium (apt-get)"; \
		(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Debian's Dovecot: the tests' real IMAP server (tests/imap_server.py starts its own instance;
# the system service is not used). Without it the IMAP tests are skipped, or fail under CI=true.
imap-deps:
	@if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then \
		echo "Installing dovecot-imapd (apt-get) for the IMAP tests"; \
		((apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null) \
		|| echo "Warning: could not install dovecot-imapd; the IMAP tests will be skipped (failed under CI=true)."; \
	fi

test: setup browser-deps pdf-deps imap-deps
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== tests on SQLite =="
	@env -u DATABASE_URL $(UV) run --locked pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres:
	@if $(UV) run --locked python -c "import psycopg,sys; psycopg.connect('$(TEST_DATABASE_URL)'.rsplit('/',1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== tests on PostgreSQL ($(TEST_DATABASE_URL)) =="; \
		DATABASE_URL=$(TEST_DATABASE_URL) $(UV) run --locked pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL does not answer at $(TEST_DATABASE_URL) and CI=true: failing"; exit 1; \
	else \
		echo "PostgreSQL does not answer at $(TEST_DATABASE_URL): PostgreSQL tests skipped"; \
	fi

lint: setup
	@$(UV) run --locked ruff check .
	@$(UV) run --locked ruff format --check .
	@$(UV) run --locked mypy .
	@$(MANAGE) check
	@$(MANAGE) makemigrations --check --dry-run >/dev/null

format: setup
	@$(UV) run --locked ruff check --fix .
	@$(UV) run --locked ruff format .

N ?= 1000000
bench-seed: setup
	@$(UV) run --locked python bench/seed.py --tickets $(N)

bench: setup
	@$(UV) run --locked python bench/run.py

# 100,000 equipment rows imported on SQLite and on PostgreSQL (database otklik_bench_import, re-created).
ROWS ?= 100000
bench-import: setup
	@$(UV) run --locked python bench/import_bench.py --rows $(ROWS)

# Due times 8 business hours ahead across holidays per second, one core (no database needed).
bench-sla: setup
	@$(if $(shell command -v taskset 2>/dev/null),taskset -c 0) $(UV) run --locked python bench/sla_bench.py
	@$(UV) run --locked python bench/sla_sweep_bench.py

# Automation rules: 200 active rules, evaluation per ticket event (goal ≤ 1 ms) and the time they
# add to ticket_create (fresh SQLite database in a temporary folder; --database-url for PostgreSQL).
bench-rules: setup
	@$(UV) run --locked python bench/rules_bench.py

# Inbound mail end to end: 10,000 messages over LMTP (4 connections) and IMAP into PostgreSQL
# (otklik_bench_email, re-created; Huey in Redis database 13) and SQLite, through the real
# lmtp_server / imap_listener and run_huey processes. MESSAGES=2000 for a quicker look.
MESSAGES ?= 10000
bench-email: setup imap-deps
	@$(UV) run --locked python bench/email_bench.py --messages $(MESSAGES)

# Messenger webhook intake end to end: Telegram updates posted by 8 clients to gunicorn, stored, then
# processed by run_huey into tickets, acknowledgements sent to a local Bot API stand-in
# (PostgreSQL otklik_bench_webhook, re-created; Huey in Redis database 12; and SQLite).
bench-webhook: setup
	@$(UV) run --locked python bench/webhook_bench.py --messages $(MESSAGES)
