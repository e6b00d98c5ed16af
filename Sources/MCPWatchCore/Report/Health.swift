/// How the monitored server is doing, in one word and a few reasons: what `/api/health` serves.
public struct HealthReport: Codable, Sendable, Equatable {
    /// The verdict.
    public enum Status: String, Codable, Sendable, Comparable {
        /// All is well.
        case healthy
        /// Working, but something needs attention.
        case degraded
        /// Not working.
        case unhealthy

        private var rank: Int { self == .healthy ? 0 : self == .degraded ? 1 : 2 }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    /// One reason for a verdict worse than healthy.
    public struct Issue: Codable, Sendable, Equatable {
        /// `warning` or `critical`.
        public var severity: String
        /// What is wrong, for people.
        public var message: String
        /// The firing alert's id, when the issue is an alert.
        public var alert: String?

        /// Creates an issue.
        public init(severity: String, message: String, alert: String? = nil) {
            self.severity = severity
            self.message = message
            self.alert = alert
        }
    }

    /// The verdict.
    public var status: Status
    /// Why, when not healthy.
    public var issues: [Issue]
    /// One line for people.
    public var summary: String
    /// Whether the server process runs (nil when unknown).
    public var serverAlive: Bool?
    /// Percent of calls that failed over the last minute (null without calls).
    public var errorRateLastMinute: Double?
    /// Calls finished since start.
    public var totalCalls: UInt64
    /// Seconds since monitoring started.
    public var uptimeSeconds: Double
}

/// Decides health from a report: the server process, and the recent error rate.
public struct HealthPolicy: Sendable {
    /// Error rate (percent, last minute) above which the verdict is degraded.
    public var degradedErrorRate: Double = 10
    /// Error rate (percent, last minute) above which the verdict is unhealthy.
    public var unhealthyErrorRate: Double = 50
    /// Fewer calls than this in the last minute say nothing about the error rate.
    public var minimumCalls: UInt64 = 5

    /// The default policy.
    public init() {}

    /// Evaluates a report and the alerts: unhealthy when the server process is gone or a critical alert fires,
    /// degraded when a warning fires, with each firing alert as an issue.
    public func evaluate(_ report: Report, alerts: [Alert] = []) -> HealthReport {
        var issues: [HealthReport.Issue] = []
        var status = HealthReport.Status.healthy
        if report.session.serverAlive == false {
            status = .unhealthy
            issues.append(.init(severity: "critical", message: "the MCP server process is not running (\(report.session.serverExit ?? "exited"))"))
        }
        let minuteCalls = UInt64((report.overview.throughput.lastMinute * min(60, max(1, report.overview.uptimeSeconds))).rounded())
        if let rate = report.overview.errorRateLastMinute, minuteCalls >= minimumCalls {
            let text = "error rate over the last minute is \(Self.percentText(rate))"
            if rate > unhealthyErrorRate {
                status = max(status, .unhealthy)
                issues.append(.init(severity: "critical", message: text + " (above \(Self.percentText(unhealthyErrorRate)))"))
            } else if rate > degradedErrorRate {
                status = max(status, .degraded)
                issues.append(.init(severity: "warning", message: text + " (above \(Self.percentText(degradedErrorRate)))"))
            }
        }
        for alert in alerts where alert.state == .firing {
            let severity = alert.severity ?? .warning
            status = max(status, severity == .critical ? .unhealthy : .degraded)
            issues.append(.init(severity: severity.rawValue, message: alert.summary, alert: alert.id))
        }
        let summary = switch status {
        case .healthy: "healthy: \(report.overview.totalCalls) calls, server \(report.session.serverAlive == false ? "stopped" : "running")"
        case .degraded, .unhealthy: "\(status.rawValue): " + issues.map(\.message).joined(separator: "; ")
        }
        return HealthReport(
            status: status, issues: issues, summary: summary, serverAlive: report.session.serverAlive,
            errorRateLastMinute: report.overview.errorRateLastMinute, totalCalls: report.overview.totalCalls,
            uptimeSeconds: report.overview.uptimeSeconds)
    }

    static func percentText(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) %" : String(format: "%.1f %%", value)
    }
}
