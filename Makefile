# The two commands of the README, and the steps they are made of.
#   make run    build and start swipeset at http://127.0.0.1:3000 with the demo campaign
#   make test   everything CI runs
#   make release   the optimised server users deploy (the Dockerfile's build), and the site
#   make container-test   the Dockerfile built from source and run as a Space runs it
#
# `make run` serves a dev build (unoptimised Rust, optimised browser bundle): it compiles in
# about a third of the time of `release` (docs/BENCHMARKS.md) and shares its artifacts with
# `make test`, and it still rates at about a third of the release build's speed, over a
# thousand ratings a second on 2 cores.
# Cargo's build output lives outside the clone so that a fresh clone reuses it.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/swipeset/target

.PHONY: run test setup build release site container-test bench-phone

run: build
	$(CARGO_TARGET_DIR)/debug/swipeset serve --demo --guests

test:
	scripts/test.sh

setup:
	scripts/setup.sh run

build: setup
	cargo build --package swipeset-server --locked
	cargo xtask site --release

release: setup
	cargo build --release --package swipeset-server --locked
	cargo xtask site --release
	@echo "built $(CARGO_TARGET_DIR)/release/swipeset; run it from here (it serves ./target/site): swipeset serve --help"

site: setup
	cargo xtask site

# A rater's first visit on an emulated phone (issue 16; docs/BENCHMARKS.md): make run's
# build, Playwright and Debian's Chromium.
bench-phone: build
	scripts/setup.sh test
	cd end2end && node bench/phone.mjs --server $(CARGO_TARGET_DIR)/debug/swipeset

# The whole Dockerfile from source, then run as a Space runs it (not in `make test`: the
# image compiles everything again). Needs root.
container-test: setup
	scripts/setup.sh test
	scripts/container-test.sh --from-source
