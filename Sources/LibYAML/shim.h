// The system libyaml (Debian: libyaml-dev; pkg-config yaml-0.1), used by epara's YAML reader
// (EparaCore/Input/YAMLComposer.swift) and the manifests' writer (EparaDeploy/ManifestYAML.swift).
#include <yaml.h>
