# Shortcuts for developers who have make; the README's commands are the scripts themselves.
.PHONY: run test bench lint
run:
	./scripts/run.sh
test:
	./scripts/test.sh
bench:
	./scripts/bench.sh
lint:
	.venv/bin/python -m ruff check app tests scripts bench && .venv/bin/python -m mypy
