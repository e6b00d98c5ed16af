import Testing
@testable import MCPWatchCore

@Suite struct LineFramerTests {
    enum Seen: Equatable {
        case line([UInt8])
        case oversized([UInt8], Int)
    }

    func feed(_ framer: inout LineFramer, _ chunks: [[UInt8]], finish: Bool = false) -> [Seen] {
        var seen: [Seen] = []
        for chunk in chunks {
            chunk.withUnsafeBytes { raw in
                framer.append(raw) { event in
                    switch event {
                    case .line(let b): seen.append(.line(Array(b)))
                    case .oversized(let p, let n): seen.append(.oversized(Array(p), n))
                    }
                }
            }
        }
        if finish {
            framer.finish { event in
                switch event {
                case .line(let b): seen.append(.line(Array(b)))
                case .oversized(let p, let n): seen.append(.oversized(Array(p), n))
                }
            }
        }
        return seen
    }

    @Test func splitsAcrossChunksKeepingNewlines() {
        var framer = LineFramer()
        let seen = feed(&framer, [Array("ab".utf8), Array("c\nde\r\nf".utf8), Array("g\n\n".utf8)])
        #expect(seen == [.line(Array("abc\n".utf8)), .line(Array("de\r\n".utf8)), .line(Array("fg\n".utf8)), .line(Array("\n".utf8))])
        #expect(framer.bufferedBytes == 0)
    }

    @Test func lastLineWithoutNewlineOnFinish() {
        var framer = LineFramer()
        #expect(feed(&framer, [Array("tail".utf8)], finish: true) == [.line(Array("tail".utf8))])
    }

    @Test func oversizedLineIsDroppedAndTheNextOneFlows() {
        var framer = LineFramer(maxLineBytes: 10, oversizedPrefixBytes: 4)
        let seen = feed(&framer, [Array("0123456".utf8), Array("789abcdef\nok\n".utf8)])
        #expect(seen == [.oversized(Array("0123".utf8), 17), .line(Array("ok\n".utf8))])
    }

    @Test func oversizedInOneChunk() {
        var framer = LineFramer(maxLineBytes: 5, oversizedPrefixBytes: 3)
        let seen = feed(&framer, [Array("abcdefgh\nxy\n".utf8)])
        #expect(seen == [.oversized(Array("abc".utf8), 9), .line(Array("xy\n".utf8))])
    }

    @Test func exactlyAtTheLimitIsRelayed() {
        var framer = LineFramer(maxLineBytes: 4)
        #expect(feed(&framer, [Array("abc\n".utf8)]) == [.line(Array("abc\n".utf8))])
    }

    @Test func memoryStaysBoundedWhileDiscarding() {
        var framer = LineFramer(maxLineBytes: 100, oversizedPrefixBytes: 10)
        let chunk = [UInt8](repeating: 0x41, count: 1_000)
        for _ in 0..<100 { _ = feed(&framer, [chunk]) }
        #expect(framer.bufferedBytes <= 10)
        #expect(feed(&framer, [Array("\n".utf8)]) == [.oversized([UInt8](repeating: 0x41, count: 10), 100_001)])
    }
}
