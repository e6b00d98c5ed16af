import Foundation

/// What `mcpwatch health` concludes from one answer of `/api/health`: a one-line verdict and an exit code
/// for cron, CI and container health checks.
///
/// Exit codes: 0 healthy and in time; 1 degraded, or slower than the allowed response time; 2 unhealthy,
/// unreachable, or an answer that is not mcpwatch's health (wrong API key, wrong address).
public struct HealthCheckVerdict: Sendable, Equatable {
    /// The conclusion, worst first when several apply.
    public enum Outcome: String, Sendable, Equatable {
        case healthy, degraded, slow, unhealthy, unreachable
    }

    /// The conclusion.
    public var outcome: Outcome
    /// The process exit code: 0, 1 or 2.
    public var exitCode: Int32
    /// One line for people, e.g. `healthy: 120 calls, server running (3.1 ms)`.
    public var line: String
    /// The health document, when the answer held one.
    public var health: HealthReport?

    /// The verdict on a failed request (refused, timed out, bad address).
    public static func unreachable(url: String, reason: String) -> HealthCheckVerdict {
        HealthCheckVerdict(outcome: .unreachable, exitCode: 2, line: "unreachable: \(url): \(reason)", health: nil)
    }

    /// The verdict on an answer.
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - body: the response body.
    ///   - elapsed: from sending the request to the end of the body.
    ///   - maxResponseTime: slower than this is `slow` (exit 1) even when healthy; nil for no limit.
    ///   - url: the address asked, for the message.
    ///   - sentKey: whether the request carried an API key.
    public static func judge(status: Int, body: [UInt8], elapsed: Duration, maxResponseTime: Duration?, url: String,
                             sentKey: Bool = true) -> HealthCheckVerdict {
        let time = Self.millisecondsText(elapsed)
        if status == 401 || status == 403 {
            let line = sentKey
                ? "unreachable: \(url) refused the API key (HTTP \(status)): pass the right one with --api-key-file or MCPWATCH_API_KEY"
                : "unreachable: \(url) needs an API key (HTTP \(status)): pass it with --api-key-file or MCPWATCH_API_KEY"
            return .init(outcome: .unreachable, exitCode: 2, line: line, health: nil)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let health = try? decoder.decode(HealthReport.self, from: Data(body)) else {
            let excerpt = String(decoding: body.prefix(120), as: UTF8.self)
                .replacingOccurrences(of: "\n", with: " ")
            return .init(outcome: .unreachable, exitCode: 2,
                         line: "no health report: \(url) answered HTTP \(status) without one\(excerpt.isEmpty ? "" : ": \(excerpt)") (is it mcpwatch's address?)",
                         health: nil)
        }
        var outcome: Outcome = switch health.status {
        case .healthy: .healthy
        case .degraded: .degraded
        case .unhealthy: .unhealthy
        }
        var line = "\(health.summary) (\(time))"
        if let limit = maxResponseTime, elapsed > limit {
            let slow = "slow: answered in \(time), over the allowed \(Self.millisecondsText(limit))"
            if outcome == .healthy {
                outcome = .slow
                line = "\(slow); \(line)"
            } else {
                line += "; \(slow)"
            }
        }
        let code: Int32 = switch outcome {
        case .healthy: 0
        case .degraded, .slow: 1
        case .unhealthy, .unreachable: 2
        }
        return .init(outcome: outcome, exitCode: code, line: line, health: health)
    }

    static func millisecondsText(_ duration: Duration) -> String {
        let ms = duration.inSeconds * 1_000
        if ms < 1 { return String(format: "%.0f µs", ms * 1_000) }
        return String(format: ms < 10 ? "%.2f ms" : "%.0f ms", ms)
    }

    /// The verdict as JSON when the answer held no health document: `{"status": ..., "summary": ..., "url": ...}`.
    public func jsonWithoutReport(url: String) -> String {
        let object: [String: String] = ["status": outcome.rawValue, "summary": line, "url": url]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
