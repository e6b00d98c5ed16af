import Foundation
import MCPWatchCore
import Testing
@testable import MCPWatchStore

/// `store.capture`: arguments (and for `full` results) cut from the relayed frames, truncated, into the call log;
/// nothing when it is off.
@Suite("Store capture")
struct StoreCaptureTests {
    static let call = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search","arguments":{"q":"caf\u00e9 ☕ au lait","n":3}}}"#
    static let answer = #"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"three cups"}],"isError":false}}"#
    static let list = #"{"jsonrpc":"2.0","id":8,"method":"resources/read","params":{"uri":"file:///etc/motd"}}"#
    static let failed = #"{"jsonrpc":"2.0","id":8,"error":{"code":-32002,"message":"not found"}}"#

    /// Sends the frames through a recorder whose call log captures `capture`, and drains what it kept.
    static func relay(_ frames: [(String, Direction)], capture: StoreSettings.Capture, bytes: Int = 4_096) -> [CompletedCall] {
        let clock = ManualClock()
        let metrics = MetricsStore(clock: clock)
        metrics.callLog.enable(capture: capture, captureBytes: bytes)
        let recorder = TrafficRecorder(store: metrics)
        var inspector = MessageInspector()
        for (text, direction) in frames {
            Array(text.utf8).withUnsafeBytes { _ = recorder.observe(frame: $0, direction: direction, at: clock.now(), inspector: &inspector) }
            clock.advance(seconds: 0.01)
        }
        return metrics.callLog.drain().calls
    }

    static let frames: [(String, Direction)] = [(call, .clientToServer), (answer, .serverToClient), (list, .clientToServer), (failed, .serverToClient)]

    @Test("off: calls carry no arguments and no result")
    func offKeepsNothing() {
        let calls = Self.relay(Self.frames, capture: .none)
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { $0.arguments == nil && $0.result == nil })
    }

    @Test("arguments: params.arguments, else params, as raw JSON; no result")
    func argumentsOnly() {
        let calls = Self.relay(Self.frames, capture: .arguments)
        #expect(calls.map(\.arguments) == [#"{"q":"caf\u00e9 ☕ au lait","n":3}"#, #"{"uri":"file:///etc/motd"}"#])
        #expect(calls.allSatisfy { $0.result == nil })
    }

    @Test("full: the result, or the error, too")
    func full() {
        let calls = Self.relay(Self.frames, capture: .full)
        #expect(calls.map(\.result) == [#"{"content":[{"type":"text","text":"three cups"}],"isError":false}"#, #"{"code":-32002,"message":"not found"}"#])
    }

    @Test("truncated to capture_bytes, never inside a UTF-8 sequence")
    func truncation() {
        // `{"q":"caf\u00e9 ` is 16 bytes; the cup (3 bytes) ends at 19.
        let cut = Self.relay(Self.frames, capture: .full, bytes: 18)
        #expect(cut[0].arguments == #"{"q":"caf\u00e9 "#)
        #expect(cut[0].result?.utf8.count == 18)
        let whole = Self.relay(Self.frames, capture: .full, bytes: 19)
        #expect(whole[0].arguments == #"{"q":"caf\u00e9 ☕"#)
        #expect(Self.relay(Self.frames, capture: .full, bytes: 0)[0].arguments == "")
    }

    @Test("a cancelled call keeps its arguments")
    func cancelled() {
        let cancel = #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}"#
        let calls = Self.relay([(Self.call, .clientToServer), (cancel, .clientToServer)], capture: .arguments)
        #expect(calls.map(\.outcome) == [.cancelled])
        #expect(calls[0].arguments?.hasPrefix(#"{"q":"#) == true)
    }

    @Test("the store keeps them in the call log, and the reader gives them back")
    func stored() throws {
        var settings = StoreSettings()
        settings.capture = .full
        let f = StoreFixture(settings: settings)
        defer { f.remove() }
        f.metrics.callLog.enable(capture: .full, captureBytes: 4_096)
        let recorder = TrafficRecorder(store: f.metrics)
        var inspector = MessageInspector()
        for (text, direction) in Self.frames {
            Array(text.utf8).withUnsafeBytes { _ = recorder.observe(frame: $0, direction: direction, at: f.clock.now(), inspector: &inspector) }
        }
        #expect(f.writer.flush(final: true))
        let calls = try f.reader().calls(CallQuery())
        let search = try #require(calls.first { $0.target == "search" })
        #expect(search.arguments == #"{"q":"caf\u00e9 ☕ au lait","n":3}"#)
        #expect(search.result?.hasPrefix(#"{"content""#) == true)
        var one = CallQuery()
        one.id = search.id
        #expect(try f.reader().calls(one) == [search])
        f.writer.close()
    }
}

/// The call log's bound on successes, taken without the lock for calls with a target handle (the relay's).
@Suite("Call log buffer")
struct CallLogBufferTests {
    @Test("successes with a handle: at most the bound per target and second, failures all kept, the rest counted")
    func boundWithHandles() {
        let clock = ManualClock()
        let metrics = MetricsStore(clock: clock)
        metrics.callLog.enable()
        func call(_ target: String, _ outcome: CallOutcome) {
            let handle = metrics.callStarted(method: "tools/call", target: target, direction: .clientToServer)
            metrics.record(CompletedCall(method: "tools/call", target: target, id: RequestID(1), outcome: outcome, durationNanos: 1_000,
                                         finishedAt: clock.now(), handle: handle))
        }
        let bound = metrics.callLog.successesPerTargetPerSecond
        for _ in 0..<(bound + 5) { call("a", .ok) }
        for _ in 0..<2 { call("b", .ok) }
        for _ in 0..<3 { call("a", .toolError) }
        clock.advance(seconds: 1)
        for _ in 0..<(bound + 1) { call("a", .ok) }
        let drained = metrics.callLog.drain()
        #expect(drained.calls.filter { $0.target == "a" && $0.outcome == .ok }.count == 2 * bound)
        #expect(drained.calls.filter { $0.target == "b" }.count == 2)
        #expect(drained.calls.filter { $0.outcome == .toolError }.count == 3)
        #expect(drained.sampledOut == 6)
        #expect(drained.dropped == 0)
    }
}
