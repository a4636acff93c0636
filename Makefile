# gridgov — two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format check-migrations install clean messages

# The virtual environment, (re)installed whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The whole system on embedded SQLite with the Qinzhou demo data: web + worker, served as
# in production (no debug pages) but over plain HTTP on this machine, with a secret key
# and data keys generated once under var/.
run: $(STAMP)
	GRIDGOV_DEBUG=$${GRIDGOV_DEBUG:-false} \
	GRIDGOV_SECURE_COOKIES=$${GRIDGOV_SECURE_COOKIES:-false} \
	GRIDGOV_LOCAL_SECRETS=true \
	$(BIN)/gridgov start

# All tests (SQLite; set GRIDGOV_TEST_DATABASE_URL=postgres://… for PostgreSQL).
test: $(STAMP)
	mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	GRIDGOV_DEBUG=true GRIDGOV_SECRET_KEY=check $(BIN)/gridgov makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	cd gridgov && GRIDGOV_DEBUG=true ../$(BIN)/gridgov makemessages -l en --ignore 'static/*' && GRIDGOV_DEBUG=true ../$(BIN)/gridgov compilemessages -l en

clean:
	rm -rf $(VENV) var/test.sqlite3*
