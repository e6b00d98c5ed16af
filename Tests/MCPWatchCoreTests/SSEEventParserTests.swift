import Testing
@testable import MCPWatchCore

@Suite struct SSEEventParserTests {
    func events(_ chunks: [String], maxEventBytes: Int = 1 << 20) -> ([SSEEventParser.Event], SSEEventParser) {
        var parser = SSEEventParser(maxEventBytes: maxEventBytes)
        var out: [SSEEventParser.Event] = []
        for chunk in chunks { parser.append(Array(chunk.utf8)) { out.append($0) } }
        return (out, parser)
    }

    func text(_ event: SSEEventParser.Event) -> String { String(decoding: event.data, as: UTF8.self) }

    @Test func readsDataIdAndType() {
        let (out, parser) = events(["event: message\nid: 7\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"])
        #expect(out.count == 1)
        #expect(out[0].id == "7")
        #expect(out[0].type == "message")
        #expect(text(out[0]) == #"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        #expect(parser.lastEventID == "7")
    }

    @Test func joinsDataLinesAndKeepsTheirBytes() {
        let (out, _) = events(["data:{\"a\":\n", "data:  1}\n\n"])
        // One space after the colon is dropped, a second one is data.
        #expect(out.map(text) == ["{\"a\":\n 1}"])
    }

    @Test func everyLineEndingAndSplitsAnywhere() {
        let stream = "data: one\r\n\r\ndata: two\r\rdata: three\n\n: comment\n\nid: 9\nevent: x\ndata: four\r\n\r\n"
        let whole = events([stream]).0
        #expect(whole.map(text) == ["one", "two", "three", "four"])
        // The same bytes in every two-piece split, and byte by byte: the same events.
        for cut in 0...stream.utf8.count {
            let bytes = Array(stream.utf8)
            let pieces = [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
            #expect(events(pieces).0 == whole, "split at \(cut)")
        }
        #expect(events(stream.map { String($0) }).0.map(text) == ["one", "two", "three", "four"])
    }

    @Test func anEventWithoutDataIsNotDispatched() {
        // A priming event (2025-11-25: an id and empty data, or an id alone) carries no message.
        let (out, parser) = events(["id: abc\n\n", "id: def\ndata:\n\n"])
        #expect(out.count == 1)
        #expect(out[0].data.isEmpty)
        #expect(parser.lastEventID == "def")
    }

    @Test func anUnfinishedEventWaits() {
        let (out, _) = events(["data: half"])
        #expect(out.isEmpty)
    }

    @Test func dataPastTheLimitIsTruncatedNotKept() {
        let big = String(repeating: "x", count: 1_000)
        let (out, _) = events(["data: \(big)\n\ndata: small\n\n"], maxEventBytes: 100)
        #expect(out.count == 2)
        #expect(out[0].truncated)
        #expect(out[0].data.count <= 100)
        #expect(!out[1].truncated)
        #expect(text(out[1]) == "small")
    }
}
