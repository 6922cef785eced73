# Targets for working on epara. The README's two commands are `make demo` and `swift test`.
SWIFT ?= swift
EPARA = $(shell $(SWIFT) build --show-bin-path)/epara
EXAMPLE = examples/edge-lab/cluster.yaml examples/edge-lab/services.yaml examples/edge-lab/catalog.yaml

.PHONY: demo build test docs clean

build:
	$(SWIFT) build --product epara

# The main job on the embedded example: today the classify stage, whose JSON goes to stdout.
demo: build
	$(EPARA) classify $(EXAMPLE)

test:
	$(SWIFT) test

# Regenerate man/ and completions/ after changing the command tree (CLITests check them).
docs:
	scripts/generate-docs

clean:
	rm -rf .build
