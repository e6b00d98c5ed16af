import Foundation
import Testing
@testable import MCPWatchCore

/// The gate as the relays drive it, with a manual clock: no threads, no sleeps.
@Suite struct TrafficGateTests {
    let clock = ManualClock()
    let stats = TrafficStats()

    func gate(_ configure: (inout TrafficPolicy) -> Void) -> TrafficGate {
        var policy = TrafficPolicy()
        configure(&policy)
        return TrafficGate(policy: policy, stats: stats, clock: clock)
    }

    func line(_ text: String) -> [UInt8] { Array((text + "\n").utf8) }

    func call(_ id: Int, _ tool: String = "echo", _ arguments: String = "{}") -> [UInt8] {
        line(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#)
    }

    func inspect(_ bytes: [UInt8]) -> InspectedFrame {
        var inspector = MessageInspector()
        return bytes.withUnsafeBytes { inspector.inspect(TrafficRecorder.trimmingLineEnd($0)) }
    }

    func client(_ gate: TrafficGate, _ bytes: [UInt8], caller: TrafficGate.Caller = .stdio) -> (TrafficGate.Disposition, TrafficGate.Actions) {
        bytes.withUnsafeBytes { gate.fromClient(frame: $0, inspected: inspect(bytes), caller: caller, now: clock.now()) }
    }

    func server(_ gate: TrafficGate, _ bytes: [UInt8], session: String? = nil) -> (forward: Bool, actions: TrafficGate.Actions) {
        bytes.withUnsafeBytes { gate.fromServer(frame: $0, inspected: inspect(bytes), session: session, now: clock.now()) }
    }

    func result(_ id: Int, _ body: String = #"{"content":[],"isError":false}"#) -> [UInt8] {
        line(#"{"jsonrpc":"2.0","id":\#(id),"result":\#(body)}"#)
    }

    func isForward(_ d: TrafficGate.Disposition) -> Bool { if case .forward = d { true } else { false } }
    func isHold(_ d: TrafficGate.Disposition) -> Bool { if case .hold = d { true } else { false } }
    func answer(_ d: TrafficGate.Disposition) -> [String: Any]? {
        guard case .answer(let bytes) = d else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    }
    func errorCode(_ d: TrafficGate.Disposition) -> Int? { (answer(d)?["error"] as? [String: Any])?["code"] as? Int }

    @Test func queuedCallsAreHeldAndReleasedWithTheirOwnBytesAsSlotsFree() {
        let gate = gate { $0.maxConcurrency = 1 }
        #expect(isForward(client(gate, call(1)).0))
        let held = call(2, "echo", #"{"text": "as sent"}"#)
        #expect(isHold(client(gate, held).0))
        #expect(isHold(client(gate, call(3)).0))
        #expect(stats.snapshot().queueDepth == 2 && stats.snapshot().inFlight == 1)
        let (forward, actions) = server(gate, result(1))
        #expect(forward)
        #expect(actions.toServer.map(\.frame) == [held])
        #expect(actions.toClients.isEmpty)
        #expect(server(gate, result(2)).actions.toServer.map(\.key.id) == [RequestID(3)])
        #expect(server(gate, result(3)).actions.isEmpty)
        #expect(stats.snapshot().queueDepth == 0 && stats.snapshot().inFlight == 0)
        #expect(stats.snapshot().targets[TargetKey(method: "tools/call", target: "echo")]?.admitted == 3)
    }

    @Test func highPriorityOvertakesQueuedLowOnes() {
        let gate = gate {
            $0.maxConcurrency = 1
            var high = TrafficPolicy.Override()
            high.priority = .high
            $0.tools["urgent"] = high
            $0.priority = .low
        }
        _ = client(gate, call(1))
        _ = client(gate, call(2))
        _ = client(gate, call(3))
        _ = client(gate, call(4, "urgent"))
        var order: [RequestID] = []
        var next = 1
        while let released = server(gate, result(next)).actions.toServer.first {
            order.append(released.key.id)
            next = Int(released.key.id.json)!
        }
        #expect(order == [RequestID(4), RequestID(2), RequestID(3)])
    }

    @Test func aFullQueueAnswersAtOnceAndACancelledQueuedCallNeverGoes() {
        let gate = gate {
            $0.maxConcurrency = 1
            $0.queueMaxSize = 1
        }
        _ = client(gate, call(1))
        #expect(isHold(client(gate, call(2)).0))
        let rejected = client(gate, call(3)).0
        #expect(errorCode(rejected) == TrafficErrorCode.queueFull)
        let cancel = line(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}"#)
        if case .drop = client(gate, cancel).0 {} else { Issue.record("the cancellation of a queued call must not be relayed") }
        #expect(server(gate, result(1)).actions.isEmpty)
        #expect(stats.snapshot().answered[.rejected] == 1)
    }

    @Test func aCacheHitIsTheServersBytesWithTheCallersID() {
        let gate = gate {
            var cache = TrafficPolicy.CacheSettings()
            cache.ttl = .seconds(60)
            $0.cache = cache
        }
        let list = { (id: Int) in self.line(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/list"}"#) }
        #expect(isForward(client(gate, list(1)).0))
        let response = line(#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"}]}}"#)
        #expect(server(gate, response).forward)
        guard case .answer(let hit) = client(gate, list(22)).0 else { Issue.record("expected a cache hit"); return }
        #expect(hit == line(#"{"jsonrpc":"2.0","id":22,"result":{"tools":[{"name":"echo"}]}}"#))
        #expect(stats.snapshot().cache.hits == 1 && stats.snapshot().answered[.cached] == 1)
        // A private entry is not served to another caller.
        let other = TrafficGate.Caller(session: "s2", context: "other", clientKey: "s2")
        #expect(isForward(client(gate, list(23), caller: other).0))
        // list_changed empties it.
        _ = server(gate, line(#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#))
        #expect(isForward(client(gate, list(24)).0))
    }

    @Test func aTimeoutAnswersCancelsAtTheServerDropsTheLateAnswerAndFreesTheSlot() {
        let gate = gate {
            $0.maxConcurrency = 1
            $0.timeout = .milliseconds(100)
        }
        #expect(gate.needsTimer)
        _ = client(gate, call(1))
        #expect(isHold(client(gate, call(2)).0))
        #expect(gate.nextDeadline() == clock.now().advanced(byNanoseconds: 100_000_000))
        clock.advance(nanoseconds: 150_000_000)
        let actions = gate.expire(now: clock.now())
        #expect(actions.toClients.map(\.key.id) == [RequestID(1)])
        #expect(String(decoding: actions.toClients[0].bytes, as: UTF8.self).contains("\"code\":\(TrafficErrorCode.timedOut)"))
        #expect(actions.toServer.count == 2)
        #expect(String(decoding: actions.toServer[0].frame, as: UTF8.self).contains(#""method":"notifications/cancelled","params":{"requestId":1"#))
        #expect(actions.toServer[1].key.id == RequestID(2))
        #expect(server(gate, result(1)).forward == false)
        #expect(stats.snapshot().targets[TargetKey(method: "tools/call", target: "echo")]?.lateAnswersDropped == 1)
        #expect(server(gate, result(2)).forward)
    }

    @Test func failuresOpenTheBreakerAndProbesCloseIt() {
        let gate = gate {
            var breaker = TrafficPolicy.BreakerSettings()
            breaker.consecutiveFailures = 2
            breaker.coolDown = .seconds(1)
            breaker.probes = 1
            $0.breaker = breaker
        }
        for id in 1...2 {
            _ = client(gate, call(id))
            _ = server(gate, result(id, #"{"content":[],"isError":true}"#))
        }
        #expect(errorCode(client(gate, call(3)).0) == TrafficErrorCode.circuitOpen)
        #expect(stats.snapshot().breakers["server"] == .open)
        clock.advance(seconds: 1.5)
        #expect(isForward(client(gate, call(4)).0))
        #expect(stats.snapshot().breakers["server"] == .halfOpen)
        _ = server(gate, result(4))
        #expect(stats.snapshot().breakers["server"] == .closed)
    }

    @Test func aRateLimitAnswersWithARetryHint() {
        let gate = gate { $0.rateLimits.tools["echo"] = .init(rate: 1, burst: 1) }
        #expect(isForward(client(gate, call(1)).0))
        let limited = answer(client(gate, call(2)).0)
        let data = (limited?["error"] as? [String: Any])?["data"] as? [String: Any]
        #expect(data?["outcome"] as? String == "rate_limited")
        #expect((data?["retryAfterMs"] as? Int ?? 0) > 0)
    }

    @Test func theHandshakeAndPingAreNeverHeld() {
        let gate = gate { $0.maxConcurrency = 1 }
        _ = client(gate, call(1))
        #expect(isForward(client(gate, line(#"{"jsonrpc":"2.0","id":9,"method":"ping"}"#)).0))
    }

    @Test func queuedCallsAreHandedBackWhenTheServerIsGone() {
        let gate = gate { $0.maxConcurrency = 1 }
        _ = client(gate, call(1))
        _ = client(gate, call(2))
        #expect(gate.serverGone().map(\.id) == [RequestID(2)])
        #expect(gate.queuedCount == 0)
    }
}
