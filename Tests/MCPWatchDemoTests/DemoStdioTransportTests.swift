import Foundation
import MCP
import Testing
@testable import MCPWatchDemo

/// The demo server's stdio transport between in-process pipes.
@Suite struct DemoStdioTransportTests {
    struct Pipe {
        let readEnd: Int32
        let writeEnd: Int32

        init() {
            var fds: [Int32] = [-1, -1]
            _ = pipe(&fds)
            // Close-on-exec: tests run in parallel, and a pipe end inherited by another test's child never reaches EOF.
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            readEnd = fds[0]
            writeEnd = fds[1]
        }

        func send(_ text: String) {
            var text = text
            _ = text.withUTF8 { write(writeEnd, $0.baseAddress, $0.count) }
        }
    }

    /// Everything `fd` yields until end of file, read on a thread of its own (reads block) after `delay`.
    static func readAll(_ fd: Int32, after delay: TimeInterval) async -> [UInt8] {
        await withCheckedContinuation { (done: CheckedContinuation<[UInt8], Never>) in
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: delay)
                var all: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count > 0 { all += buffer[..<count] } else if count == 0 || errno != EINTR { break }
                }
                close(fd)
                done.resume(returning: all)
            }
        }
    }

    /// Regression: the SDK's StdioTransport interleaved the partial writes of concurrent large messages (it sleeps in its
    /// actor when the pipe is full, and the next send writes meanwhile), so a slow client read invalid JSON lines.
    @Test func concurrentLargeMessagesAreWrittenWhole() async throws {
        let input = Pipe(), output = Pipe()
        close(input.writeEnd)
        let transport = DemoStdioTransport(input: input.readEnd, output: output.writeEnd)
        try await transport.connect()
        let messages = (0..<4).map { i in
            let letter = String(UnicodeScalar(UInt8(ascii: "a") + UInt8(i)))
            return #"{"id":\#(i),"jsonrpc":"2.0","result":{"text":""# + String(repeating: letter, count: 2 << 20) + #""}}"#
        }
        // The client starts reading once all four sends have met a full pipe.
        async let received = Self.readAll(output.readEnd, after: 0.3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for message in messages { group.addTask { try await transport.send(Data(message.utf8)) } }
            try await group.waitForAll()
        }
        #expect(await transport.finish(within: .seconds(5)))
        await transport.disconnect()
        close(output.writeEnd)
        let lines = await received.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // Counted, not compared, so that a failure does not print megabytes.
        let whole = Set(lines.map { String(decoding: $0, as: UTF8.self) }).intersection(messages).count
        #expect(whole == 4 && lines.count == 5 && lines.last?.isEmpty == true,
                "\(whole) of 4 messages written whole, in \(lines.count - 1) lines")
        close(input.readEnd)
    }

    /// At end of input, `finish` waits for the answers to the requests received (not to notifications, nor to cancelled
    /// requests), and for their writes.
    @Test func finishWaitsForAnswersToRequestsInFlight() async throws {
        let input = Pipe(), output = Pipe()
        input.send(
            #"{"jsonrpc":"2.0","id":1,"method":"ping"}"# + "\n"
                + #"[{"jsonrpc":"2.0","id":"b","method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","method":"notifications/initialized"}]"#
                + "\n" + #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow_report"}}"# + "\n"
                + #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"# + "\n")
        close(input.writeEnd)
        let transport = DemoStdioTransport(input: input.readEnd, output: output.writeEnd)
        try await transport.connect()
        var received = 0
        for try await _ in await transport.receive() { received += 1 }
        #expect(received == 4)

        #expect(await transport.finish(within: .milliseconds(50)) == false)
        try await transport.send(Data(#"{"id":1,"jsonrpc":"2.0","result":{}}"#.utf8))
        #expect(await transport.finish(within: .milliseconds(50)) == false)
        try await transport.send(Data(#"[{"error":{"code":-32602,"message":"no"},"id":"b","jsonrpc":"2.0"}]"#.utf8))
        #expect(await transport.finish(within: .seconds(5)))

        await transport.disconnect()
        close(output.writeEnd)
        let written = await Self.readAll(output.readEnd, after: 0)
        #expect(written.filter { $0 == UInt8(ascii: "\n") }.count == 2)
        close(input.readEnd)
    }
}
