# The two commands of the README, and the steps they are made of.
#   make run    build and start swipeset at http://127.0.0.1:3000 with the demo campaign
#   make test   everything CI runs
# Cargo's build output lives outside the clone so that a fresh clone reuses it.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/swipeset/target

.PHONY: run test setup build site

run: build
	$(CARGO_TARGET_DIR)/release/swipeset serve --demo --guests

test:
	scripts/test.sh

setup:
	scripts/setup.sh run

build: setup
	cargo build --release --package swipeset-server --locked
	cargo xtask site --release

site: setup
	cargo xtask site
