import Foundation
import MCPWatchCore

/// `mcpwatch bench-server`: a minimal MCP server on stdio whose cost per call is as close to nothing as a correct
/// server can be, so that a benchmark measures the path to it (a proxy, a transport), not the server.
///
/// One blocking read loop with a large buffer; lines split by ``LineFramer``; id, method and tool name read by
/// ``MessageInspector``; the echo text copied as the raw JSON string it arrived as (never decoded); all responses to
/// one read written with one write.
///
/// Tools: `echo` (`{"text": string}` → that text; no text → empty text) and `noop` (`{}` → no content).
public enum BenchServer {
    /// `serverInfo.name`.
    public static let name = "mcpwatch-bench-server"
    /// `serverInfo.version`.
    public static let version = "1.0.0"
    /// Protocol versions it speaks; a client asking for another one gets the last.
    public static let protocolVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]

    static let readBufferSize = 1 << 20

    /// Serves until the input ends (then returns) or the output is closed.
    /// - Parameters:
    ///   - input: where requests come from (stdin by default).
    ///   - output: where responses go (stdout by default).
    /// - Throws: ``WatchError`` with code `io` when the input cannot be read.
    public static func run(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) throws(WatchError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readBufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var framer = LineFramer(maxLineBytes: 64 << 20)
        var inspector = MessageInspector()
        var out: [UInt8] = []
        out.reserveCapacity(readBufferSize)
        while true {
            let n = PipeIO.read(input, into: buffer)
            out.removeAll(keepingCapacity: true)
            if n <= 0 {
                framer.finish { event in
                    if case .line(let line) = event { respond(to: line, inspector: &inspector, into: &out) }
                }
                if !out.isEmpty { _ = out.withUnsafeBytes { PipeIO.writeAll(output, $0) } }
                if n < 0 { throw WatchError(.io, "cannot read requests: \(PipeIO.errorText())") }
                return
            }
            framer.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { event in
                switch event {
                case .line(let line):
                    respond(to: line, inspector: &inspector, into: &out)
                case .oversized:
                    out.appendStatic(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"message too large"}}"#)
                    out.append(0x0A)
                }
            }
            if !out.isEmpty && !out.withUnsafeBytes({ PipeIO.writeAll(output, $0) }) {
                return  // The client is gone: nobody to answer.
            }
        }
    }

    /// The response to one line (without its newline), or nil when none is due; for tests and tools.
    public static func response(to line: String) -> String? {
        var inspector = MessageInspector()
        var out: [UInt8] = []
        Array(line.utf8).withUnsafeBytes { respond(to: $0, inspector: &inspector, into: &out) }
        guard !out.isEmpty else { return nil }
        return String(decoding: out.dropLast(), as: UTF8.self)
    }

    private static let textPath: [[UInt8]] = [Array("params".utf8), Array("arguments".utf8), Array("text".utf8)]

    /// What ``respond(to:inspector:into:)`` made of a frame.
    enum Answer: Equatable {
        /// A notification or a response: nothing to answer.
        case nothing
        /// A request, answered (a result or a JSON-RPC error).
        case answered
        /// `initialize`, answered.
        case initialized
        /// Not a JSON-RPC message it serves (not JSON, not JSON-RPC, a batch): answered with an error without id.
        case invalid
    }

    /// Appends the response to one frame (and its newline), if one is due.
    @discardableResult
    static func respond(to line: UnsafeRawBufferPointer, inspector: inout MessageInspector, into out: inout [UInt8]) -> Answer {
        switch inspector.inspect(line) {
        case .message(let info):
            guard info.kind == .request, let id = info.id, let method = info.method else {
                return info.kind == .invalid ? invalid(parseError: false, into: &out) : .nothing
            }
            switch method {
            case "tools/call":
                switch info.paramsName {
                case "echo":
                    // `text` is optional (default ""), so that a bare `mcpwatch bench -- mcpwatch bench-server` works.
                    let range = JSONValueLocator.range(of: textPath, in: line)
                    if let range, line[range.lowerBound] != UInt8(ascii: "\"") {
                        toolError(id, "echo's argument text must be a string", into: &out)
                    } else {
                        out.beginResult(id)
                        out.appendStatic(#"{"content":[{"type":"text","text":"#)
                        if let range { out.append(contentsOf: line[range]) } else { out.appendStatic(#""""#) }
                        out.appendStatic("}]}}\n")
                    }
                case "noop":
                    out.beginResult(id)
                    out.appendStatic("{\"content\":[]}}\n")
                case let name?:
                    toolError(id, "unknown tool: \(name)", into: &out)
                case nil:
                    error(id, code: -32602, "tools/call needs params.name", into: &out)
                }
            case "ping":
                out.beginResult(id)
                out.appendStatic("{}}\n")
            case "tools/list":
                out.beginResult(id)
                out.appendStatic(toolList)
                out.appendStatic("}\n")
            case "initialize":
                let asked = InitializeMessage.parseRequest(line).protocolVersion
                let version = asked.flatMap { protocolVersions.contains($0) ? $0 : nil } ?? protocolVersions[protocolVersions.count - 1]
                out.beginResult(id)
                out.append(contentsOf: Array(#"{"protocolVersion":"\#(version)","capabilities":{"tools":{"listChanged":false}},"#.utf8))
                out.append(contentsOf: Array(#""serverInfo":{"name":"\#(name)","version":"\#(BenchServer.version)"}}}"#.utf8))
                out.append(0x0A)
                return .initialized
            default:
                error(id, code: -32601, "Method not found: \(method)", into: &out)
            }
            return .answered
        case .batch:
            out.appendStatic(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batches are not supported"}}"#)
            out.append(0x0A)
            return .invalid
        case .invalid(let anomaly):
            return invalid(parseError: anomaly == .invalidJSON || anomaly == .invalidUTF8, into: &out)
        case .empty:
            return .nothing
        }
    }

    private static func invalid(parseError: Bool, into out: inout [UInt8]) -> Answer {
        out.append(contentsOf: JSONRPCErrorResponse.line(
            id: RequestID(json: "null"), code: parseError ? -32700 : -32600, message: parseError ? "Parse error" : "Invalid Request"))
        return .invalid
    }

    private static func toolError(_ id: RequestID, _ text: String, into out: inout [UInt8]) {
        out.beginResult(id)
        out.append(contentsOf: Array(#"{"content":[{"type":"text","text":\#(JSONRPCErrorResponse.jsonString(text))}],"isError":true}}"#.utf8))
        out.append(0x0A)
    }

    private static func error(_ id: RequestID, code: Int, _ message: String, into out: inout [UInt8]) {
        out.append(contentsOf: JSONRPCErrorResponse.line(id: id, code: code, message: message))
    }

    private static let toolList: StaticString = #"""
        {"tools":[{"name":"echo","description":"Returns its text argument (empty when there is none).","inputSchema":{"type":"object","properties":{"text":{"type":"string"}}}},{"name":"noop","description":"Does nothing and returns no content.","inputSchema":{"type":"object","properties":{}}}]}
        """#
}

extension [UInt8] {
    @inline(__always) mutating func appendStatic(_ text: StaticString) {
        append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `{"jsonrpc":"2.0","id":ID,"result":` — the caller appends the result and `}` and the newline.
    @inline(__always) mutating func beginResult(_ id: RequestID) {
        appendStatic(#"{"jsonrpc":"2.0","id":"#)
        var json = id.json
        json.withUTF8 { append(contentsOf: $0) }
        appendStatic(#","result":"#)
    }
}
