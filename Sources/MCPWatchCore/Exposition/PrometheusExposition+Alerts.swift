extension PrometheusExposition {
    /// Alert figures: alerts by state and severity, one series per firing alert (as Prometheus' own `ALERTS`),
    /// and notifier failures.
    public mutating func writeAlerts(_ report: AlertsReport, server: String) {
        family("mcpwatch_alerts", type: "gauge", help: "Alerts of mcpwatch's rules by state and severity.")
        for state in [Alert.State.pending, .firing] {
            for severity in [AlertSeverity.warning, .critical] {
                let n = report.active.count { $0.state == state && ($0.severity ?? .warning) == severity }
                sample("mcpwatch_alerts", [("server", server), ("state", state.rawValue), ("severity", severity.rawValue)], UInt64(n))
            }
        }
        family("mcpwatch_alert_firing", type: "gauge", help: "1 for each firing alert of mcpwatch's rules.")
        for alert in report.active where alert.state == .firing {
            sample("mcpwatch_alert_firing", [("server", server), ("alertname", alert.rule), ("severity", (alert.severity ?? .warning).rawValue),
                                             ("mcp_method_name", alert.method ?? ""), ("target", alert.target ?? "")], UInt64(1))
        }
        family("mcpwatch_alert_notifier_failures_total", type: "counter", help: "Alert deliveries that failed, by notifier.")
        for (notifier, count) in report.notifierFailures.sorted(by: { $0.key < $1.key }) {
            sample("mcpwatch_alert_notifier_failures_total", [("server", server), ("notifier", notifier)], count)
        }
    }
}
