// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "epara",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "epara", targets: ["epara"]),
        .library(name: "EparaCore", targets: ["EparaCore"]),
        .library(name: "EparaDocuments", targets: ["EparaDocuments"]),
        .library(name: "EparaClassify", targets: ["EparaClassify"]),
        .library(name: "EparaPlan", targets: ["EparaPlan"]),
        .library(name: "EparaStore", targets: ["EparaStore"]),
        .library(name: "EparaServe", targets: ["EparaServe"]),
        .library(name: "EparaReport", targets: ["EparaReport"]),
        .library(name: "EparaLive", targets: ["EparaLive"]),
        .library(name: "EparaCapacity", targets: ["EparaCapacity"]),
        .library(name: "EparaDeploy", targets: ["EparaDeploy"]),
        .library(name: "EparaProfile", targets: ["EparaProfile"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // The system libyaml (pkg-config yaml-0.1; Debian's libyaml-dev): the YAML reader composes
        // its nodes from libyaml's parser events, the manifests go out through its emitter.
        .systemLibrary(
            name: "LibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(
            name: "EparaCore",
            dependencies: [
                "LibYAML",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The documents between stages, apart from the algorithms that make them.
        .target(name: "EparaDocuments", dependencies: ["EparaCore"]),
        .target(name: "EparaClassify", dependencies: ["EparaCore", "EparaDocuments"]),
        .target(
            name: "EparaPlan",
            dependencies: [
                "EparaCore",
                "EparaDocuments",
                "EparaClassify",
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "EparaStore",
            dependencies: [
                "EparaCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The Prometheus reader's HTTP GET (`plan --prometheus`).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "EparaServe",
            dependencies: [
                "EparaCore",
                "EparaDocuments",
                "EparaClassify",
                "EparaPlan",
                "EparaStore",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
            // The simulator's state lives in classes it mutates on every event; their hot stored
            // properties are marked `@exclusivity(unchecked)` (RequestCore, SimWorld, SimEngine,
            // Recorder) instead of an unsafe compiler flag, which would keep the package from
            // being used as a versioned dependency (docs/serve.md §5 has the measurement).
        ),
        .target(
            name: "EparaReport",
            dependencies: ["EparaCore", "EparaDocuments", "EparaServe", "EparaPlan", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .target(name: "EparaCapacity", dependencies: ["EparaCore", "EparaClassify", "EparaPlan", "EparaServe", "EparaReport"]),
        .target(
            name: "EparaLive",
            dependencies: [
                "EparaCore", "EparaDocuments", "EparaPlan", "EparaServe", "EparaStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // The model servers' client (BackendPool): HTTP/1.1 on NIO, TLS for https:// servers.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The gateway's connection guards sit beside Hummingbird's HTTP types codec.
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // Kubernetes manifests from a plan: typed objects, written as YAML.
        .target(
            name: "EparaDeploy",
            dependencies: [
                "EparaCore", "EparaDocuments", "LibYAML",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "EparaProfile",
            dependencies: [
                "EparaCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "epara",
            dependencies: [
                "EparaCore",
                "EparaClassify",
                "EparaPlan",
                "EparaStore",
                "EparaServe",
                "EparaReport",
                "EparaLive",
                "EparaCapacity",
                "EparaDeploy",
                "EparaProfile",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "plan-bench",
            dependencies: ["EparaCore", "EparaClassify", "EparaPlan"],
            path: "bench/PlanBench"
        ),
        .testTarget(name: "EparaCoreTests", dependencies: ["EparaCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EparaDocumentsTests", dependencies: ["EparaDocuments", "EparaCore"]),
        .testTarget(name: "EparaClassifyTests", dependencies: ["EparaClassify", "EparaCore"]),
        .testTarget(name: "EparaPlanTests", dependencies: ["EparaPlan", "EparaClassify", "EparaCore"]),
        .executableTarget(
            name: "serve-bench",
            dependencies: [
                "EparaCore", "EparaClassify", "EparaPlan", "EparaServe", .product(name: "HeapModule", package: "swift-collections"),
            ],
            path: "bench/ServeBench"
        ),
        .executableTarget(
            name: "goodput-eval",
            dependencies: [
                "EparaCore", "EparaClassify", "EparaPlan", "EparaServe", "EparaReport", "EparaCapacity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/Goodput",
            exclude: ["discussion.md"]
        ),
        .executableTarget(
            name: "live-bench",
            dependencies: [
                "EparaCore", "EparaClassify", "EparaPlan", "EparaServe", "EparaLive",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/LiveBench"
        ),
        .testTarget(name: "EparaServeTests", dependencies: ["EparaServe", "EparaPlan", "EparaClassify", "EparaCore", "EparaStore", "EparaCapacity"]),
        .testTarget(
            name: "EparaReportTests",
            dependencies: [
                "EparaReport", "EparaServe", "EparaPlan", "EparaClassify", "EparaCore",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]),
        .testTarget(name: "EparaCapacityTests", dependencies: ["EparaCapacity"]),
        .testTarget(
            name: "EparaLiveTests",
            dependencies: [
                "EparaLive", "EparaDocuments", "EparaServe", "EparaPlan", "EparaClassify", "EparaCore", "EparaProfile",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
        .testTarget(name: "EparaStoreTests", dependencies: ["EparaStore", "EparaCore"]),
        .testTarget(
            name: "EparaDeployTests", dependencies: ["EparaDeploy", "EparaDocuments", "EparaCore", "EparaClassify", "EparaPlan"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "epara",
                // TLS clients for the gateways' HTTPS (SecurityCLITests).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]),
    ]
)
