// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "epara",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "epara", targets: ["epara"]),
        .library(name: "EparaCore", targets: ["EparaCore"]),
        .library(name: "EparaClassify", targets: ["EparaClassify"]),
        .library(name: "EparaPlan", targets: ["EparaPlan"]),
        .library(name: "EparaStore", targets: ["EparaStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "EparaCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "EparaClassify", dependencies: ["EparaCore"]),
        .target(
            name: "EparaPlan",
            dependencies: [
                "EparaCore",
                "EparaClassify",
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "EparaStore",
            dependencies: [
                "EparaCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "epara",
            dependencies: [
                "EparaCore",
                "EparaClassify",
                "EparaPlan",
                "EparaStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "plan-bench",
            dependencies: ["EparaCore", "EparaClassify", "EparaPlan"],
            path: "bench/PlanBench"
        ),
        .testTarget(name: "EparaCoreTests", dependencies: ["EparaCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EparaClassifyTests", dependencies: ["EparaClassify", "EparaCore"]),
        .testTarget(name: "EparaPlanTests", dependencies: ["EparaPlan", "EparaClassify", "EparaCore"]),
        .testTarget(name: "EparaStoreTests", dependencies: ["EparaStore", "EparaCore"]),
        .testTarget(name: "EndToEndTests", dependencies: ["epara"], resources: [.copy("Fixtures")]),
    ]
)
