import Foundation
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

    /// Random bytes, framed and inspected: the framer's lines put together again are the input, byte for byte (or, for
    /// lines over the limit, their prefix and length are right); the inspector's verdict is the same from a fresh
    /// inspector and a reused one, `.empty` exactly for whitespace, and calls the frame invalid JSON exactly when
    /// Foundation's parser refuses it.
    @Test func randomBytesNeverCrash() throws {
        var rng = SplitMix(seed: 7)
        var inspector = MessageInspector()
        var verdicts: [String: Int] = [:]
        for round in 0..<20_000 {
            let count = Int(rng.next() % 64)
            let frame = (0..<count).map { _ in Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))] }

            // Framing: in random chunks, with a limit that some lines pass.
            let limit = round % 2 == 0 ? 64 << 20 : 4 + Int(rng.next() % 24)
            var framer = LineFramer(maxLineBytes: limit, oversizedPrefixBytes: 3)
            var framed: [FramedLine] = []
            var offset = 0
            while offset < frame.count {
                let take = min(frame.count - offset, 1 + Int(rng.next() % 16))
                frame[offset..<offset + take].withUnsafeBytes { chunk in framer.append(chunk) { framed.append(FramedLine($0)) } }
                offset += take
            }
            let tail = frame.split(separator: 0x0A, omittingEmptySubsequences: false).last ?? []
            #expect(framer.bufferedBytes == (tail.count <= limit ? tail.count : 3))
            framer.finish { framed.append(FramedLine($0)) }
            #expect(framed == Self.expectedLines(frame, limit: limit, prefix: 3), "\(frame)")
            if limit == 64 << 20 {
                #expect(framed.flatMap { $0.bytes } == frame)
            }

            // Inspection.
            let verdict = inspector.inspect(frame)
            var fresh = MessageInspector()
            #expect(fresh.inspect(frame) == verdict, "a reused inspector said otherwise: \(frame)")
            let whitespace: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09]
            #expect((verdict == .empty) == frame.allSatisfy(whitespace.contains), "\(frame)")
            let parses = (try? JSONSerialization.jsonObject(with: Data(frame), options: .fragmentsAllowed)) != nil
            let invalidJSON = verdict == .invalid(.invalidJSON) || verdict == .invalid(.invalidUTF8)
            // (Foundation reads a frame with NUL bytes as UTF-16 or UTF-32, so those are left out of the comparison.)
            if verdict != .empty && !frame.contains(0) {
                #expect(parses != invalidJSON, "Foundation and the inspector disagree on \(frame): \(verdict)")
            }
            if !invalidJSON {
                #expect(inspector.inspect(frame, truncated: true) == verdict, "a whole frame marked truncated: \(frame)")
            } else {
                _ = inspector.inspect(frame, truncated: true)
            }
            verdicts[Self.name(verdict), default: 0] += 1
        }
        // Both kinds of frame were made: whitespace-only and not.
        #expect(verdicts["empty", default: 0] > 100 && verdicts["invalid", default: 0] > 10_000, "\(verdicts)")
    }

    /// One framer event, copied.
    struct FramedLine: Equatable {
        var bytes: [UInt8]
        var oversizedLength: Int?

        init(bytes: [UInt8], oversizedLength: Int?) {
            self.bytes = bytes
            self.oversizedLength = oversizedLength
        }

        init(_ event: LineFramer.Event) {
            switch event {
            case .line(let line): self.init(bytes: Array(line), oversizedLength: nil)
            case .oversized(let prefix, let length): self.init(bytes: Array(prefix), oversizedLength: length)
            }
        }
    }

    /// What the framer must hand out: each line with its newline, a line over the limit as its prefix and length.
    static func expectedLines(_ input: [UInt8], limit: Int, prefix: Int) -> [FramedLine] {
        var lines: [FramedLine] = []
        var start = 0
        for (i, byte) in input.enumerated() where byte == 0x0A {
            lines.append(line(input[start...i], limit: limit, prefix: prefix))
            start = i + 1
        }
        if start < input.count { lines.append(line(input[start...], limit: limit, prefix: prefix)) }
        return lines
    }

    static func line(_ bytes: ArraySlice<UInt8>, limit: Int, prefix: Int) -> FramedLine {
        bytes.count <= limit
            ? FramedLine(bytes: Array(bytes), oversizedLength: nil)
            : FramedLine(bytes: Array(bytes.prefix(prefix)), oversizedLength: bytes.count)
    }

    static func name(_ verdict: InspectedFrame) -> String {
        switch verdict {
        case .message: "message"
        case .batch: "batch"
        case .invalid: "invalid"
        case .empty: "empty"
        }
    }
}
