// swift-tools-version:6.1
// A real third-party MCP client for the cross-process tests: the official MCP Swift SDK's Streamable HTTP client.
// Its own package, so that mcpwatch itself does not depend on the SDK; scripts/test builds it after mcpwatch.
import PackageDescription

let package = Package(
    name: "swift-sdk-client",
    platforms: [.macOS("13.0")],
    dependencies: [
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
    ],
    targets: [
        .executableTarget(
            name: "swift-sdk-client",
            dependencies: [.product(name: "MCP", package: "swift-sdk")]
        ),
    ]
)
