import Foundation
@testable import MCPWatchBench

/// A server running on a thread of this process, connected by pipes: the bench server itself, or a fake one.
final class InProcessServer: Sendable {
    /// Where the runner writes requests.
    let requests: Int32
    /// Where the runner reads responses.
    let responses: Int32
    private let finished: AsyncStream<Void>

    /// Starts `serve(input, output)` on a thread; the server's ends are closed when it returns.
    init(serve: @escaping @Sendable (_ input: Int32, _ output: Int32) -> Void = { try? BenchServer.run(input: $0, output: $1) }) {
        let toServer = PipeIO.makePipe()!
        let fromServer = PipeIO.makePipe()!
        requests = toServer.write
        responses = fromServer.read
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        finished = stream
        Thread {
            serve(toServer.read, fromServer.write)
            close(toServer.read)
            close(fromServer.write)
            continuation.finish()
        }.start()
    }

    /// Ends the server's input, as a client does at the end of a run, and waits for the server to return.
    func finish() async {
        close(requests)
        for await _ in finished {}
        close(responses)
    }

    /// A fake server's blocking line reader.
    struct LineReader {
        let fd: Int32
        var data: [UInt8] = []

        init(fd: Int32) { self.fd = fd }

        /// Reads until `count` lines have arrived in all; false at end of input.
        mutating func waitForLines(_ count: Int) -> Bool {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while data.lazy.filter({ $0 == 0x0A }).count < count {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                data += buffer[0..<n]
            }
            return true
        }

        /// Reads until the input ends.
        mutating func drain() { while waitForLines(Int.max) {} }
    }

    static func write(_ fd: Int32, _ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { PipeIO.writeAll(fd, $0) }
    }

    static let initializeResult = #"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"fake","version":"0"}}}"# + "\n"
}
