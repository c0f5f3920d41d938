# The two commands of the README, plus their parts. Each sets up what it
# needs first (wasm target, cargo-leptos, wasm-bindgen-cli, npm packages,
# Chromium and the musl target for tests and dist), idempotently.
.PHONY: run test setup build dist bench bench-evaluator bench-instances bench-writer soak

run:    ## build and start Telltale on SQLite at http://127.0.0.1:7410
	@scripts/run.sh

test:   ## format check, clippy, unit + integration tests, browser tests
	@scripts/test.sh

setup:  ## install the build tools only
	@scripts/setup.sh

build:  ## release binary, its site inside: target/release/telltale (the site also in target/site)
	@scripts/setup.sh && bash -c 'source scripts/lib.sh && release_build'

dist:   ## static Linux binary and release tarball: dist/telltale-<version>-x86_64-linux.tar.gz, dist/rootfs for the Containerfile
	@scripts/dist.sh

bench:  ## load benchmark against the release server (prints a table, writes target/bench-results.json)
	@$(MAKE) --no-print-directory build && cargo build --release -p telltale-bench && target/release/telltale-bench

bench-evaluator:  ## check engine on 100,000 jobs, 10% due (prints a table, writes target/bench-evaluator.json)
	@cargo build --release -p telltale-bench --bin telltale-bench-evaluator && target/release/telltale-bench-evaluator

bench-instances:  ## ingest on SQLite, on one and on two PostgreSQL instances; cross-instance live latency; leader failover (writes target/bench-instances.json)
	@$(MAKE) --no-print-directory build && cargo build --release -p telltale-bench --bin telltale-bench-instances && target/release/telltale-bench-instances

bench-writer:  ## the SQLite ingest writer alone, no HTTP: batches and single events (prints a table, writes target/bench-writer.json)
	@cargo build --release -p telltale-bench --bin telltale-bench-writer && target/release/telltale-bench-writer

soak:  ## 10-minute soak per backend on loopback (SQLite, then PostgreSQL if one answers): hostile ingest, restarts, a canary failure every 10 s that must be alerted and delivered exactly once (prints a table, writes target/soak-<backend>.json); options: SOAK_ARGS="--minutes 2 --backend sqlite"
	@cargo build --release -p telltale-server -p telltale-bench --bin telltale --bin telltale-soak && target/release/telltale-soak $(SOAK_ARGS)
