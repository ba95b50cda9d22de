# make run: set up and serve the demo.  make test: set up and run every test.
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
PO     := backend/translations/nl/LC_MESSAGES/messages.po
MO     := $(PO:.po=.mo)

export VTCHAT_CHAT_BASE_URL ?= http://localhost:$(PORT)
export VTCHAT_DEMO_ORIGIN   ?= http://127.0.0.1:$(PORT)
export VTCHAT_BIND          ?= 127.0.0.1:$(PORT)

.PHONY: setup run test lint format messages bench clean

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(MO): $(PO) $(BIN)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d backend/translations -D messages >/dev/null

instance/secret_key:
	mkdir -p instance
	python3 -c 'import secrets; print(secrets.token_hex(32))' > $@

setup: $(BIN)/.installed $(MO) instance/secret_key

run: setup
	VTCHAT_SECRET_KEY=$$(cat instance/secret_key) $(BIN)/flask --app backend init-db
	VTCHAT_SECRET_KEY=$$(cat instance/secret_key) $(BIN)/flask --app backend seed-demo --history 13 --coordinator
	VTCHAT_SECRET_KEY=$$(cat instance/secret_key) \
		$(BIN)/gunicorn -c backend/gunicorn_conf.py 'backend:create_app()'

# Pass 1 on SQLite; pass 2 on a throwaway PostgreSQL, the e2e tests on two instances behind
# nginx, or a loud banner saying what was skipped (tests/passes.py). PYTEST_ARGS go to both.
test: setup lint
	$(BIN)/python -m e2e.chromium   # the browser tests' Chromium, or the one command to run
	$(BIN)/python -m tests.passes $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract the strings after changing a template, then translate the new ones in the .po.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o backend/translations/messages.pot . >/dev/null
	$(BIN)/pybabel update -i backend/translations/messages.pot -d backend/translations -l nl

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance e2e/artifacts
