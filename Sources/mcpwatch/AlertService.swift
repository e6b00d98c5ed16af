import Foundation
import Logging
import MCPWatchCore
import MCPWatchNotifiers
import MCPWatchSystem
import ServiceLifecycle

/// The alert engine and its notifier dispatch, as one service: the engine evaluates the rules every
/// `alerts.interval` and the dispatcher hands each transition to the notifiers, until graceful shutdown.
struct AlertService: Service {
    let engine: AlertEngine
    let dispatcher: AlertDispatcher
    let interval: Duration

    /// The service a configuration describes, or nil when alerts are off.
    /// - Throws: ``WatchError`` when a webhook's secret file cannot be read.
    /// - Parameter traffic: traffic control's figures, when it is configured: they feed `cache_hit_rate` and
    ///   `queue_depth`, and its breakers' transitions join the history and reach the notifiers.
    static func configured(_ configuration: WatchConfiguration, store: MetricsStore, system: SystemMonitor, traffic: TrafficStats? = nil,
                           logger: Logger) throws -> AlertService? {
        guard configuration.alertsEnabled else { return nil }
        let interval = configuration.alertInterval
        let engine = AlertEngine(
            rules: configuration.effectiveAlertRules, store: store,
            sources: .traffic(traffic, system: { system.report(includeSeries: false) }, interval: interval),
            intervalSeconds: interval.inSeconds,
            historyLimit: configuration.alertHistorySize)
        if let traffic { engine.watch(traffic) }
        let serverName: @Sendable () -> String? = { configuration.serverName ?? store.session.server?.name }
        var notifiers: [any AlertNotifier] = [LogNotifier(logger: logger)]
        for hook in configuration.webhooks {
            let secret = try hook.secretFile.map(WebhookNotifier.readSecret)
            notifiers.append(WebhookNotifier(target: hook, secret: secret, serverName: serverName))
        }
        for command in configuration.alertCommands {
            notifiers.append(CommandNotifier(arguments: command, serverName: serverName))
        }
        return AlertService(engine: engine, dispatcher: AlertDispatcher(engine: engine, notifiers: notifiers), interval: interval)
    }

    /// Evaluates every interval and delivers notifications until graceful shutdown (or cancellation); a
    /// notification still being delivered then is cancelled, as a signal always did.
    func run() async throws {
        let (engine, dispatcher, interval) = (engine, dispatcher, interval)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await dispatcher.run() }
                group.addTask { await engine.run(every: interval) }
            }
        }
    }
}
