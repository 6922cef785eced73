# The epara image the Kubernetes manifests run (docs/deploy.md): the gateways and the
# replanning job. Build it for each architecture your nodes run, for instance:
#   docker buildx build --platform linux/arm64,linux/amd64 -t registry.example.com/epara:0.1.0 --push .
# (CI has no container engine: this file is not built there.)
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev libyaml-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product epara && install -m 0755 .build/release/epara /usr/local/bin/epara

FROM debian:bookworm-slim
# SQLite for the state store, libyaml for reading YAML and writing manifests; /bin/sh, which the replanning job's script runs in, comes with the base.
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 libyaml-0-2 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/epara /usr/local/bin/epara
USER 65532:65532
ENTRYPOINT ["epara"]
