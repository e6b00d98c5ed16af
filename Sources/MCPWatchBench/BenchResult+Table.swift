extension BenchResult {
    /// The result for people: a short table.
    public var table: String {
        var lines: [String] = []
        var heading = "mcpwatch bench"
        if let server {
            heading += ": \(server.name ?? "(a server without a name)")\(server.version.map { " \($0)" } ?? "")"
            if let version = server.protocolVersion { heading += " (protocol \(version))" }
        }
        lines.append(heading)
        let load = mode == "open"
            ? "open loop at \(format1(rate ?? 0)) calls/s (max in flight \(maxInFlight ?? 0))"
            : "closed loop, concurrency \(concurrency ?? 1)"
        lines.append("  load         \(load), tools \(tools)")
        lines.append("  calls        \(calls) in \(format3(elapsedSeconds)) s (ok \(ok), errors \(errors.total)\(warmupCalls > 0 ? ", after \(warmupCalls) warmup calls" : ""))")
        lines.append("  throughput   \(format1(callsPerSecond)) calls/s")
        if answered == 0 {
            lines.append("  latency      no answered calls")
        } else {
            lines.append("  latency            µs          ms")
            let rows: [(String, Double)] = [
                ("p50", latencyUs.p50), ("p90", latencyUs.p90), ("p99", latencyUs.p99), ("p99.9", latencyUs.p99_9), ("max", latencyUs.max),
            ]
            for (name, micros) in rows {
                lines.append("    " + pad(name, 8) + padLeft(String(Int(micros)), 12) + padLeft(format3(micros / 1_000), 12))
            }
        }
        lines.append("  errors       jsonrpc_error \(errors.jsonrpcError)  tool_error \(errors.toolError)  timeout \(errors.timeout)  "
            + "transport \(errors.transport)  overload \(errors.overload)")
        for (kind, text) in (errorExamples ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines.append("    first \(kind): \(text)")
        }
        if lateResponses > 0 || unexpectedLines > 0 {
            lines.append("  ignored      \(counted(lateResponses, "late answer")), \(counted(unexpectedLines, "unexpected line"))")
        }
        if let failure { lines.append("  INCOMPLETE   \(failure)") }
        if let comparison { lines.append(comparison.text) }
        return lines.joined(separator: "\n")
    }

    /// `1 late answer`, `2 late answers`.
    private func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    private func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
    private func padLeft(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
}

/// Three decimals, without Foundation's locale-dependent formatting.
func format3(_ value: Double) -> String {
    let thousandths = (value * 1_000).rounded()
    guard thousandths.isFinite, abs(thousandths) < 1e15 else { return String(value) }
    let n = Int(thousandths)
    let fraction = String(abs(n) % 1_000)
    return "\(n < 0 && n / 1_000 == 0 ? "-" : "")\(n / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
}
