// swift-tools-version: 6.1
import PackageDescription
import class Foundation.ProcessInfo

/// mcpwatch: a performance monitor for MCP servers. See ../shared/DESIGN.md for the module layout.
let package = Package(
    name: "mcpwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mcpwatch", targets: ["mcpwatch"]),
        .library(name: "MCPWatchCore", targets: ["MCPWatchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Already in the graph through Hummingbird; named here for `HTTPField` in the HTTP relay.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // SQLite (the system's libsqlite3) for the local store of history, calls and instances.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // OTLP export of spans and metrics (off by default). Only the OTLP/HTTP trait: no gRPC in the build.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "MCPWatchCore",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .target(
            name: "MCPWatchSystem",
            dependencies: [
                "MCPWatchCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // zlib's header, for what compress-nio does not expose (preset dictionaries, CRC-32 combination); the library is
        // the system's libz, which compress-nio links already.
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        // Gzip that reuses the compressed bytes of unchanged segments (a /metrics scrape of many targets).
        .target(name: "MCPWatchCompression", dependencies: ["CZlib"]),
        // The local store (SQLite through GRDB): history of figures, the call log, servers and their instances.
        .target(
            name: "MCPWatchStore",
            dependencies: [
                "MCPWatchCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The files the server serves (docs/openapi.json, the dashboard's), compiled into the binary with C23's #embed,
        // so that a copied binary is whole on its own; editing one of them rebuilds this target.
        .target(name: "CEmbeddedFiles"),
        // OTLP export (swift-otel) of a span per completed call and of the figures: its own module, so that Core stays
        // dependency-light and nothing in the relays links an exporter.
        .target(
            name: "MCPWatchTelemetry",
            dependencies: [
                "MCPWatchCore", .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MCPWatchProxy",
            dependencies: [
                "MCPWatchCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            // The Streamable HTTP reverse proxy: its own module so that the stdio relay (and the load generator,
            // which uses it) stays free of Hummingbird and NIO.
            name: "MCPWatchHTTPProxy",
            dependencies: [
                "MCPWatchCore", "MCPWatchProxy",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MCPWatchServer",
            dependencies: [
                "MCPWatchCore", "MCPWatchCompression", "CEmbeddedFiles", "MCPWatchStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The fleet's front door forwards to each proxy's Unix socket (http+unix://).
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The dashboard's HTML, CSS and JavaScript: plain files, no build step, compiled in by CEmbeddedFiles.
            exclude: ["Dashboard"]
        ),
        .target(
            name: "MCPWatchNotifiers",
            dependencies: [
                "MCPWatchCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "MCPWatchBench",
            dependencies: [
                "MCPWatchCore", "MCPWatchProxy", .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "MCPWatchDemo",
            dependencies: [
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "mcpwatch",
            dependencies: [
                "MCPWatchCore", "MCPWatchSystem", "MCPWatchProxy", "MCPWatchHTTPProxy", "MCPWatchServer", "MCPWatchBench", "MCPWatchDemo", "MCPWatchNotifiers", "MCPWatchStore",
                "MCPWatchTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(name: "MCPWatchCoreTests", dependencies: ["MCPWatchCore", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .testTarget(
            name: "MCPWatchSystemTests",
            dependencies: [
                "MCPWatchSystem", "MCPWatchCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "MCPWatchCompressionTests",
            dependencies: [
                "MCPWatchCompression", "MCPWatchCore",
                .product(name: "CompressNIO", package: "compress-nio"), .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "MCPWatchProxyTests",
            dependencies: [
                "MCPWatchProxy", "MCPWatchCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "MCPWatchHTTPProxyTests",
            dependencies: [
                "MCPWatchHTTPProxy", "MCPWatchCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "MCPWatchStoreTests",
            dependencies: [
                "MCPWatchStore", "MCPWatchCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "MCPWatchTelemetryTests", dependencies: ["MCPWatchTelemetry", "MCPWatchCore"]),
        .testTarget(name: "MCPWatchNotifiersTests", dependencies: ["MCPWatchNotifiers", "MCPWatchCore"]),
        .testTarget(name: "MCPWatchBenchTests", dependencies: ["MCPWatchBench", "MCPWatchCore"]),
        .testTarget(name: "MCPWatchDemoTests", dependencies: ["MCPWatchDemo", .product(name: "MCP", package: "swift-sdk")]),
        .testTarget(
            name: "MCPWatchServerTests",
            dependencies: [
                "MCPWatchServer", "MCPWatchCore", "MCPWatchStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The repository's own rules: docs/architecture.md's module table names exactly the targets in Sources/.
        .testTarget(name: "RepositoryTests"),
    ],
    swiftLanguageModes: [.v6]
)

// The local store's figures on the real writer and reader, added only on request (no extra package):
//   MCPWATCH_STORE_BENCHMARK=1 swift run -c release StoreScale
if ProcessInfo.processInfo.environment["MCPWATCH_STORE_BENCHMARK"] != nil {
    package.targets.append(
        .executableTarget(
            name: "StoreScale", dependencies: ["MCPWatchCore", "MCPWatchStore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/StoreScale")
    )
}

// Benchmarks (ordo-one `benchmark`) are added only on request, so that the everyday build stays fast:
//   MCPWATCH_BENCHMARKS=1 swift package --scratch-path .build-bench benchmark
if ProcessInfo.processInfo.environment["MCPWATCH_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        // Report and /metrics at 1,000 targets on the real code paths (issue 3's figures):
        //   MCPWATCH_BENCHMARKS=1 swift run -c release --scratch-path .build-bench ReportScale
        .executableTarget(
            name: "ReportScale",
            dependencies: [
                "MCPWatchCore", "MCPWatchCompression",
                .product(name: "CompressNIO", package: "compress-nio"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/ReportScale")
    )
    package.targets.append(
        // One alert evaluation tick, 100 rules over 1,000 targets (issue 4's figure):
        //   MCPWATCH_BENCHMARKS=1 swift run -c release --scratch-path .build-bench AlertScale
        .executableTarget(name: "AlertScale", dependencies: ["MCPWatchCore"], path: "Benchmarks/AlertScale")
    )
    package.targets.append(
        // Queue and cache operations from 10 to 100,000 entries (issue 19's figure):
        //   MCPWATCH_BENCHMARKS=1 swift run -c release --scratch-path .build-bench TrafficScale
        .executableTarget(name: "TrafficScale", dependencies: ["MCPWatchCore"], path: "Benchmarks/TrafficScale")
    )
    package.targets.append(
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: ["MCPWatchCore", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
