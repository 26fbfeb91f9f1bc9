# The two commands of the README, and a few for developers. Scripts do the work.
.PHONY: setup demo test bench train

setup:
	bash scripts/setup.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	bash scripts/setup.sh
	.venv/bin/spillover model bench
	.venv/bin/spillover model eval --data ../shared/data/sentiment/validation.jsonl

train:
	bash scripts/setup.sh
	.venv/bin/python -m spillover.models.train --data ../shared/data/sentiment
