# Targets for working on epara. The README's two commands are `make demo` and `swift test`.
SWIFT ?= swift
EPARA = $(shell $(SWIFT) build --show-bin-path)/epara
EXAMPLE = examples/edge-lab/cluster.yaml examples/edge-lab/services.yaml examples/edge-lab/catalog.yaml

.PHONY: demo build test docs bench clean

build:
	$(SWIFT) build --product epara

# The main job on the embedded example: classify | plan, with the placement shown as a table.
demo: build
	$(EPARA) classify $(EXAMPLE) | $(EPARA) plan --format table

# Planning time for generated clusters of 10 to 5,000 nodes (release build).
bench:
	$(SWIFT) run -c release plan-bench

test:
	$(SWIFT) test

# Regenerate man/ and completions/ after changing the command tree (CLITests check them).
docs:
	scripts/generate-docs

clean:
	rm -rf .build
