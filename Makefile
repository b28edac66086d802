# The two commands of the README, and the steps they are made of.
#   make run    build and start swipeset at http://127.0.0.1:3000 with the demo campaign
#   make test   everything CI runs
#   make container-test   the Dockerfile built from source and run as a Space runs it
# Cargo's build output lives outside the clone so that a fresh clone reuses it.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/swipeset/target

.PHONY: run test setup build site container-test

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

# The whole Dockerfile from source, then run as a Space runs it (not in `make test`: the
# image compiles everything again). Needs root.
container-test: setup
	scripts/setup.sh test
	scripts/container-test.sh --from-source
