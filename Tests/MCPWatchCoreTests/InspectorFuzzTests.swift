import Testing
@testable import MCPWatchCore

/// Random and mutated frames must never crash or hang the measuring path. Deterministic seeds, bounded rounds.
@Suite struct InspectorFuzzTests {
    static let seeds: [[UInt8]] = [
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}"#,
        #"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"oops \u00e9"}],"isError":true}}"#,
        #"{"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"Method not found"}}"#,
        #"[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}]"#,
        #"{"a":[1,-2.5e+10,true,false,null,{"b":"\ud83d\ude00"}]}"#,
    ].map { Array($0.utf8) }

    static let alphabet: [UInt8] = Array(#"{}[]",:-+.0123456789eEtrufalsn\ "#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xA9, 0xED, 0xF0, 0xFF]

    @Test func mutatedFramesNeverCrash() {
        var rng = SplitMix(seed: 42)
        var inspector = MessageInspector()
        let recorder = TrafficRecorder(store: MetricsStore(clock: ManualClock()))
        var seen = 0
        for round in 0..<20_000 {
            var frame = Self.seeds[round % Self.seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let position = Int(rng.next() % UInt64(max(1, frame.count)))
                switch rng.next() % 4 {
                case 0 where !frame.isEmpty: frame[min(position, frame.count - 1)] = Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))]
                case 1: frame.insert(Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))], at: position)
                case 2: if frame.count > 1 { frame.remove(at: position % frame.count) }
                default: frame = Array(frame[0..<position])
                }
            }
            switch inspector.inspect(frame) {
            case .message, .batch: seen += 1
            case .invalid, .empty: break
            }
            _ = inspector.inspect(frame, truncated: true)
            frame.withUnsafeBytes { raw in
                recorder.observe(frame: raw, direction: round % 2 == 0 ? .clientToServer : .serverToClient,
                                 at: MonotonicInstant(nanoseconds: UInt64(round)), inspector: &inspector)
            }
        }
        // Some mutations keep the frame valid; most do not. Both kinds were exercised.
        #expect(seen > 100)
        #expect(recorder.store.report().anomalies.total > 1_000)
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix(seed: 7)
        var inspector = MessageInspector()
        for _ in 0..<20_000 {
            let count = Int(rng.next() % 64)
            let frame = (0..<count).map { _ in Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))] }
            _ = inspector.inspect(frame)
            _ = inspector.inspect(frame, truncated: true)
        }
    }
}
