import MCPWatchCore

/// What one read from the server held: answers to calls, the handshake's answer, lines that were not ours.
/// Gathered outside the lock, applied under it in one go.
struct ReadBatch {
    var completions: [(id: Int, outcome: BenchState.Outcome)] = []
    var handshake: BenchState.Handshake?
    var unexpected = 0
    /// The first failed answer of this read, as the server worded it (for the result's `error_examples`).
    var errorExample: (outcome: BenchState.Outcome, text: String)?

    init() { completions.reserveCapacity(1024) }

    var isEmpty: Bool { completions.isEmpty && handshake == nil && unexpected == 0 }

    mutating func reset() {
        completions.removeAll(keepingCapacity: true)
        handshake = nil
        unexpected = 0
        errorExample = nil
    }

    /// Sorts one line; answers the server's own requests (`ping`) into `replies`.
    mutating func take(_ line: UnsafeRawBufferPointer, inspector: inout MessageInspector, replies: inout [UInt8]) {
        switch inspector.inspect(line) {
        case .message(let info):
            switch info.kind {
            case .result, .error:
                guard let text = info.id?.json, let id = Int(text) else {
                    unexpected += 1
                    return
                }
                if id == 0 {
                    handshake = info.kind == .error
                        ? .failed("error \(info.errorCode.map(String.init) ?? "?"): \(info.errorMessage ?? "")")
                        : .answered(Self.server(InitializeMessage.parseResult(line)))
                    return
                }
                let outcome: BenchState.Outcome = info.kind == .error ? .jsonrpcError : info.isToolError ? .toolError : .ok
                completions.append((id, outcome))
                if outcome != .ok, errorExample == nil {
                    errorExample = outcome == .jsonrpcError
                        ? (outcome, "error \(info.errorCode.map(String.init) ?? "?"): \(info.errorMessage ?? "")")
                        : (outcome, info.toolErrorText ?? "(the result gave no text)")
                }
            case .request:
                // The server asks something of us: answer ping as MCP requires, refuse the rest (we declared no
                // client capabilities, so a correct server asks nothing else).
                guard let id = info.id else { return }
                if info.method == "ping" {
                    replies.beginResult(id)
                    replies.appendStatic("{}}\n")
                } else {
                    replies.append(contentsOf: JSONRPCErrorResponse.line(
                        id: id, code: -32601, message: "mcpwatch bench does not support \(info.method ?? "this method")"))
                }
            case .notification:
                return
            case .invalid:
                unexpected += 1
            }
        case .batch, .invalid:
            unexpected += 1
        case .empty:
            return
        }
    }

    private static func server(_ result: InitializeMessage.Result) -> BenchResult.Server {
        BenchResult.Server(name: result.server?.name, version: result.server?.version, protocolVersion: result.protocolVersion)
    }
}
