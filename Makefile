# The two commands that do everything on a fresh machine: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint system-deps postgres

$(BIN)/warroom: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# DEMO_ARGS passes options through, e.g. make demo DEMO_ARGS="--port 8600 --speed 60".
demo: $(BIN)/warroom
	$(BIN)/warroom demo $(DEMO_ARGS)

# Chromium and CJK fonts for the browser tests; nginx for the replica tests; PostgreSQL for the store tests.
system-deps:
	@command -v chromium >/dev/null 2>&1 && fc-list | grep -qi "noto sans cjk" && fc-list | grep -qi "noto color emoji" && { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji nginx >/dev/null; }

postgres:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

lint: $(BIN)/warroom
	$(BIN)/ruff check .

test: system-deps postgres lint
	WARROOM_TEST_PG_URL="$(PG_URL)" $(BIN)/pytest -q
