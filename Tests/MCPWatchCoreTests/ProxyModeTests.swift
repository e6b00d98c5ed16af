import Foundation
import MCPWatchCore
import Testing

/// `mcpwatch proxy` decides its mode in one place, from the effective configuration and the flags given.
@Suite struct ProxyModeTests {
    let serve = ListenAddress(host: "127.0.0.1", port: 8001)
    let upstream = "http://127.0.0.1:8000/mcp"

    @Test func aCommandAloneIsTheStdioRelay() throws {
        #expect(try ProxyMode.decide(upstream: nil, serveHTTP: nil, command: ["uvx", "mcp-server-time"]) == .stdioRelay(command: ["uvx", "mcp-server-time"]))
    }

    @Test func anUpstreamServedOverHTTPIsTheReverseProxy() throws {
        #expect(try ProxyMode.decide(upstream: upstream, serveHTTP: serve, command: [])
            == .reverseProxy(upstream: URL(string: upstream)!, serve: serve))
    }

    @Test func anUpstreamAloneIsTheStdioFront() throws {
        #expect(try ProxyMode.decide(upstream: upstream, serveHTTP: nil, command: []) == .stdioFront(upstream: URL(string: upstream)!))
        #expect(try ProxyMode.decide(upstream: upstream, serveHTTP: nil, command: [], transport: .sse).kind == .stdioFront)
    }

    @Test func aCommandServedOverHTTPIsTheBridge() throws {
        #expect(try ProxyMode.decide(upstream: nil, serveHTTP: serve, command: ["server"]) == .bridge(command: ["server"], serve: serve))
    }

    @Test func neitherCommandNorUpstreamSaysWhatToGive() {
        let error = #expect(throws: WatchError.self) { try ProxyMode.decide(upstream: nil, serveHTTP: nil, command: []) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("give the server command after `--`") == true)
        #expect(throws: WatchError.self) { try ProxyMode.decide(upstream: nil, serveHTTP: serve, command: []) }
    }

    @Test func bothCommandAndUpstreamIsAMistake() {
        let error = #expect(throws: WatchError.self) { try ProxyMode.decide(upstream: upstream, serveHTTP: nil, command: ["server"]) }
        #expect(error?.message == "give either --upstream URL or a server command after `--`, not both")
    }

    @Test(arguments: ["ftp://example.org/mcp", "127.0.0.1:8000", "http://", "not a url"])
    func anUpstreamThatIsNotAnHTTPURLIsRefused(text: String) {
        let error = #expect(throws: WatchError.self) { try ProxyMode.decide(upstream: text, serveHTTP: nil, command: []) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("--upstream must be an http:// or https:// URL") == true)
    }

    @Test func theReverseProxyRelaysStreamableHTTPOnly() {
        let error = #expect(throws: WatchError.self) {
            try ProxyMode.decide(upstream: upstream, serveHTTP: serve, command: [], transport: .sse)
        }
        #expect(error?.message.contains("relays Streamable HTTP only") == true)
    }

    @Test func anOptionOfAnotherModeIsNamedWithTheModesItBelongsTo() {
        let error = #expect(throws: WatchError.self) {
            try ProxyMode.decide(upstream: nil, serveHTTP: nil, command: ["server"], given: [.sharedServer])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "--shared-server does not apply to -- COMMAND (stdio relay); it belongs to --serve-http HOST:PORT -- COMMAND (bridge)")
        let timeout = #expect(throws: WatchError.self) {
            try ProxyMode.decide(upstream: nil, serveHTTP: nil, command: ["server"], given: [.upstreamConnectTimeout])
        }
        #expect(timeout?.message == "--upstream-connect-timeout does not apply to -- COMMAND (stdio relay); it belongs to --upstream URL --serve-http HOST:PORT (reverse proxy), or --upstream URL (stdio front)")
        #expect(throws: WatchError.self) { try ProxyMode.decide(upstream: upstream, serveHTTP: serve, command: [], given: [.shutdownGrace]) }
        #expect(throws: WatchError.self) { try ProxyMode.decide(upstream: upstream, serveHTTP: nil, command: [], given: [.maxSessions]) }
    }

    @Test func everyOptionIsAcceptedByTheModesItBelongsTo() throws {
        #expect(try ProxyMode.decide(upstream: nil, serveHTTP: serve, command: ["server"],
                                     given: [.sharedServer, .maxSessions, .sessionIdleTimeout, .upstreamTimeout, .shutdownGrace]).kind == .bridge)
        #expect(try ProxyMode.decide(upstream: upstream, serveHTTP: serve, command: [],
                                     given: [.upstreamTransport, .upstreamConnectTimeout, .upstreamTimeout]).kind == .reverseProxy)
        #expect(try ProxyMode.decide(upstream: upstream, serveHTTP: nil, command: [],
                                     given: [.upstreamTransport, .upstreamConnectTimeout, .upstreamTimeout, .shutdownGrace]).kind == .stdioFront)
        #expect(try ProxyMode.decide(upstream: nil, serveHTTP: nil, command: ["server"], given: [.shutdownGrace]).kind == .stdioRelay)
    }
}
