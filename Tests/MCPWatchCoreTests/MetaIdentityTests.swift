import Testing
@testable import MCPWatchCore

/// Who is talking, read from MCP 2026-07-28 messages (no `initialize`): the client and version from each request's
/// `params._meta`, the server from a result's `_meta`, the version confirmed by `server/discover`.
@Suite struct MetaIdentityTests {
    // As the official Python SDK 2.3 sends them (captured through mcpwatch, then trimmed).
    static let discover = #"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"mcp","version":"0.1.0"},"io.modelcontextprotocol/clientCapabilities":{}}}}"#
    static let discovered = #"{"jsonrpc":"2.0","id":1,"result":{"cacheScope":"private","capabilities":{"tools":{"listChanged":false}},"resultType":"complete","supportedVersions":["2026-07-28"],"ttlMs":0,"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"mcp-time","version":"2026.10.19"}}}}"#
    static let call = #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_current_time","arguments":{"timezone":"UTC","_meta":{"io.modelcontextprotocol/protocolVersion":"decoy"}},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"mcp","version":"0.1.0"}}}}"#
    static let called = #"{"jsonrpc":"2.0","id":3,"result":{"content":[],"isError":false,"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"mcp-time","version":"2026.10.19"}}}}"#

    static func parse<T>(_ text: String, _ body: (UnsafeRawBufferPointer) -> T) -> T { Array(text.utf8).withUnsafeBytes(body) }

    @Test func requestsNameTheirClientAndVersion() {
        let meta = Self.parse(Self.call) { MetaIdentity.parseRequest($0) }
        #expect(meta.client == PeerInfo(name: "mcp", version: "0.1.0"))
        #expect(meta.protocolVersion == "2026-07-28")
        #expect(Self.parse(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#) { MetaIdentity.parseRequest($0) } == .init())
        #expect(Self.parse(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#) { MetaIdentity.parseRequest($0) } == .init())
        #expect(Self.parse(#"{"jsonrpc":"2.0","id":1,"params":{"_meta":"nonsense"}}"#) { MetaIdentity.parseRequest($0) } == .init())
    }

    @Test func resultsNameTheirServerAndDiscoverItsVersions() {
        let result = Self.parse(Self.discovered) { MetaIdentity.parseResult($0, discover: true) }
        #expect(result.server == PeerInfo(name: "mcp-time", version: "2026.10.19"))
        #expect(result.supportedVersions == ["2026-07-28"])
        #expect(Self.parse(Self.called) { MetaIdentity.parseResult($0, discover: false) }.supportedVersions == nil)
    }

    static func recorder() -> (TrafficRecorder, MetricsStore, (String, Direction) -> Void) {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        let recorder = TrafficRecorder(store: store)
        nonisolated(unsafe) var inspector = MessageInspector()
        let send: (String, Direction) -> Void = { text, direction in
            Array(text.utf8).withUnsafeBytes { _ = recorder.observe(frame: $0, direction: direction, at: clock.now(), inspector: &inspector) }
        }
        return (recorder, store, send)
    }

    @Test func aModernSessionIsNamedFromDiscover() {
        let (_, store, send) = Self.recorder()
        send(Self.discover, .clientToServer)
        send(Self.discovered, .serverToClient)
        let session = store.session
        #expect(session.client == PeerInfo(name: "mcp", version: "0.1.0"))
        #expect(session.server == PeerInfo(name: "mcp-time", version: "2026.10.19"))
        #expect(session.protocolVersion == "2026-07-28")
        #expect(store.report().serverName == "mcp-time")
        // Known: later calls are not read again.
        #expect(store.identityReads.load(ordering: .relaxed) == 0)
    }

    @Test func aModernSessionWithoutDiscoverIsNamedFromItsCalls() {
        let (_, store, send) = Self.recorder()
        send(Self.call, .clientToServer)
        #expect(store.session.protocolVersion == nil)
        send(Self.called, .serverToClient)
        #expect(store.session.protocolVersion == "2026-07-28")
        #expect(store.session.server?.name == "mcp-time")
        #expect(store.session.client?.name == "mcp")
    }

    @Test func aVersionTheServerDoesNotListIsNotInUse() {
        let (_, store, send) = Self.recorder()
        send(Self.discover, .clientToServer)
        send(Self.discovered.replacingOccurrences(of: #"["2026-07-28"]"#, with: #"["2099-01-01"]"#), .serverToClient)
        #expect(store.session.requestedProtocolVersion == "2026-07-28")
        #expect(store.session.protocolVersion == nil)
    }

    @Test func aFailedProbeThenTheHandshakeKeepsTheHandshakesVersion() {
        let (_, store, send) = Self.recorder()
        send(Self.discover, .clientToServer)
        send(#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#, .serverToClient)
        send(#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp","version":"0.1.0"}}}"#, .clientToServer)
        send(#"{"jsonrpc":"2.0","id":2,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"old","version":"1"}}}"#, .serverToClient)
        #expect(store.session.protocolVersion == "2025-11-25")
        #expect(store.session.server?.name == "old")
        #expect(store.identityReads.load(ordering: .relaxed) == 0)
    }

    @Test func aPeerThatNeverNamesItselfCostsABoundedNumberOfReads() {
        let (_, store, send) = Self.recorder()
        for i in 0..<400 {
            send(#"{"jsonrpc":"2.0","id":\#(i),"method":"tools/call","params":{"name":"echo","arguments":{}}}"#, .clientToServer)
            send(#"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[]}}"#, .serverToClient)
        }
        #expect(store.identityReads.load(ordering: .relaxed) <= 0)
        #expect(store.session.client == nil)
        // server/discover is always read, so a client that connects later is still named.
        send(Self.discover, .clientToServer)
        send(Self.discovered, .serverToClient)
        #expect(store.session.server?.name == "mcp-time")
        #expect(store.session.protocolVersion == "2026-07-28")
    }
}
