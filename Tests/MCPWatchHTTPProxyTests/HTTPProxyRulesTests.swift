import MCPWatchCore
import Testing
@testable import MCPWatchHTTPProxy

@Suite struct HeaderForwardingTests {
    @Test func mcpAndAuthHeadersPassBothWays() {
        for name in ["Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID", "Authorization", "Accept", "Content-Type", "Cookie", "X-Custom"] {
            #expect(HeaderForwarding.forwardsRequestHeader(name), "\(name)")
        }
        for name in ["mcp-session-id", "WWW-Authenticate", "Content-Type", "Cache-Control", "Set-Cookie"] {
            #expect(HeaderForwarding.forwardsResponseHeader(name), "\(name)")
        }
    }

    @Test func hopByHopHeadersStay() {
        for name in ["Connection", "Keep-Alive", "Transfer-Encoding", "Host", "Content-Length", "Upgrade", "TE", "Proxy-Authorization"] {
            #expect(!HeaderForwarding.forwardsRequestHeader(name), "\(name)")
            #expect(!HeaderForwarding.forwardsResponseHeader(name), "\(name)")
        }
        #expect(!HeaderForwarding.forwardsResponseHeader("Date"))
        #expect(!HeaderForwarding.forwardsResponseHeader("Server"))
    }

    @Test func headersNamedInConnectionStay() {
        let tokens = HeaderForwarding.connectionTokens(["keep-alive, X-Hop", " close "])
        #expect(tokens == ["keep-alive", "x-hop", "close"])
        #expect(!HeaderForwarding.forwardsRequestHeader("X-Hop", connectionTokens: tokens))
        #expect(HeaderForwarding.forwardsRequestHeader("X-Other", connectionTokens: tokens))
    }
}

@Suite struct SessionRecordersTests {
    @Test func oneRecorderPerSessionBoundedOldestDropped() {
        let store = MetricsStore(clock: ManualClock())
        let table = SessionRecorders(store: store, capacity: 2)
        let a = table.recorder(for: "a")
        #expect(table.recorder(for: "a") === a)
        _ = table.recorder(for: "b")
        // A pending call on a, then a third session: a is dropped and its call recorded as lost.
        var inspector = MessageInspector()
        Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#.utf8).withUnsafeBytes {
            _ = a.observe(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector)
        }
        _ = table.recorder(for: "c")
        #expect(table.count == 2)
        #expect(table.recorder(for: "a") !== a)
        #expect(store.report().overview.outcomes["lost"] == 1)
        #expect(store.sessions.summaries().first { $0.id == "a" }?.closed == false)  // "a" came back as new
    }

    @Test func adoptKeepsTheRecorderThatMeasuredInitialize() {
        let store = MetricsStore(clock: ManualClock())
        let table = SessionRecorders(store: store, capacity: 4)
        let early = TrafficRecorder(store: store)
        #expect(table.adopt(early, as: "s1") === early)
        #expect(early.sessionID == "s1")
        #expect(table.recorder(for: "s1") === early)
        table.remove("s1")
        #expect(table.count == 0)
        #expect(store.sessions.summaries().first?.closed == true)
    }
}
