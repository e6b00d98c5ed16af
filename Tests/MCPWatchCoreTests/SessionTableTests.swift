import Foundation
import Testing
@testable import MCPWatchCore

@Suite struct SessionTableTests {
    @Test func keepsAtMostCapacityEvictingClosedThenLeastRecent() {
        let clock = ManualClock()
        let table = SessionTable(capacity: 3, clock: clock)
        for id in ["a", "b", "c"] {
            table.open(id: id)
            clock.advance(seconds: 1)
        }
        table.recordCall(id: "a", failed: false)  // a is now the most recent
        clock.advance(seconds: 1)
        table.open(id: "d")  // evicts b, the least recently seen
        #expect(Set(table.summaries().map(\.id)) == ["a", "c", "d"])
        table.close(id: "d")
        clock.advance(seconds: 1)
        table.open(id: "e")  // evicts d: closed goes first
        #expect(Set(table.summaries().map(\.id)) == ["a", "c", "e"])
        #expect(table.summaries().count == 3)
        #expect(table.totalOpened == 5)
        #expect(table.openCount == 3)
    }

    @Test func countsCallsAndErrorsPerSession() {
        let table = SessionTable(capacity: 10, clock: ManualClock())
        table.open(id: "s", client: PeerInfo(name: "claude", version: "1"))
        table.recordCall(id: "s", failed: false)
        table.recordCall(id: "s", failed: true)
        table.recordCall(id: "unknown", failed: true)
        let s = table.summaries()
        #expect(s.count == 1)
        #expect(s[0].calls == 2)
        #expect(s[0].errors == 1)
        #expect(s[0].client?.name == "claude")
    }

    /// A recorder bound to a session after `initialize` (the server names the session in its answer) still
    /// attributes the client and every call to it.
    @Test func recorderAttributesClientAndCallsToItsSession() {
        let clock = ManualClock()
        let store = MetricsStore(clock: clock)
        let recorder = TrafficRecorder(store: store)
        var inspector = MessageInspector()
        func send(_ text: String, _ direction: Direction) {
            Array(text.utf8).withUnsafeBytes { _ = recorder.observe(frame: $0, direction: direction, at: clock.now(), inspector: &inspector) }
        }
        send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"pyclient","version":"2.3"}}}"#, .clientToServer)
        recorder.bind(sessionID: "sess-1")
        send(#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"echo","version":"1"}}}"#, .serverToClient)
        send(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fail","arguments":{}}}"#, .clientToServer)
        send(#"{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"no"}}"#, .serverToClient)
        send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{}}}"#, .clientToServer)
        #expect(recorder.lose(ids: [RequestID(3), RequestID(99)], reason: "stream broke", at: clock.now()) == [RequestID(3)])
        let s = store.sessions.summaries()
        #expect(s.count == 1)
        #expect(s[0].id == "sess-1")
        #expect(s[0].client == PeerInfo(name: "pyclient", version: "2.3"))
        #expect(s[0].protocolVersion == "2025-06-18")
        #expect(s[0].calls == 3)
        #expect(s[0].errors == 2)
        let report = store.report()
        #expect(report.session.sessionCount == 1)
        #expect(report.session.sessions?.first?.id == "sess-1")
        #expect(report.overview.outcomes["lost"] == 1)
    }

    @Test func stdioReportsHaveNoSessionList() {
        #expect(MetricsStore(clock: ManualClock()).report().session.sessions == nil)
    }
}
