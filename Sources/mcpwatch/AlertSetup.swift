import Foundation
import Logging
import MCPWatchCore
import MCPWatchNotifiers
import MCPWatchSystem

/// The alert engine, its notifiers, and the loop that evaluates the rules every `alerts.interval`.
struct AlertSetup: Sendable {
    let engine: AlertEngine
    let dispatcher: AlertDispatcher
    let interval: Duration

    /// The setup a configuration describes, or nil when alerts are off.
    /// - Throws: ``WatchError`` when a webhook's secret file cannot be read.
    static func configured(_ configuration: WatchConfiguration, store: MetricsStore, system: SystemMonitor, logger: Logger) throws -> AlertSetup? {
        guard configuration.alertsEnabled else { return nil }
        let interval = configuration.alertInterval
        let engine = AlertEngine(
            rules: configuration.effectiveAlertRules, store: store,
            sources: .init(system: { system.report(includeSeries: false) }),
            intervalSeconds: interval.inSeconds,
            historyLimit: configuration.alertHistorySize)
        let serverName: @Sendable () -> String? = { configuration.serverName ?? store.session.server?.name }
        var notifiers: [any AlertNotifier] = [LogNotifier(logger: logger)]
        for hook in configuration.webhooks {
            let secret = try hook.secretFile.map(WebhookNotifier.readSecret)
            notifiers.append(WebhookNotifier(target: hook, secret: secret, serverName: serverName))
        }
        for command in configuration.alertCommands {
            notifiers.append(CommandNotifier(arguments: command, serverName: serverName))
        }
        return AlertSetup(engine: engine, dispatcher: AlertDispatcher(engine: engine, notifiers: notifiers), interval: interval)
    }

    /// Evaluates every interval and delivers notifications until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await dispatcher.run() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    engine.tick()
                }
            }
        }
    }
}
