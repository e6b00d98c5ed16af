import Logging
import ServiceLifecycle
import UnixSignals

/// The long-running parts of one mcpwatch command, arranged for one `ServiceGroup` so that they stop in the stated
/// order: first the relay drains and answers what is pending, then the last report is written, then the helpers
/// (sampling, alerts) stop, and the HTTP side stops last.
///
/// A `ServiceGroup` starts its services in order and shuts them down gracefully in reverse, one at a time, each
/// after the one before has returned; ``configuration(gracefulShutdownSignals:logger:)`` lists them as
/// monitoring, helpers, report, signals, relay.
public struct ShutdownOrder: Sendable {
    /// The MCP endpoint (stdio relay, reverse proxy, stdio front, bridge). When it returns or throws, the group shuts
    /// down gracefully, the rest in order.
    public var relay: any Service
    /// What turns signals into the relay's own action (the stdio relay forwards them to the server), when the group's
    /// own signal handling is not what the mode needs; it stops right after the relay.
    public var signals: (any Service)?
    /// The report file, whose last write comes after the relay has drained.
    public var reports: (any Service)?
    /// Sampling and alerts: they stop after the last report, in reverse order.
    public var helpers: [any Service]
    /// The monitoring HTTP server: stops last. If it cannot serve (a taken port), the group goes on without it.
    public var monitoring: (any Service)?

    /// Arranges the parts.
    public init(relay: any Service, signals: (any Service)? = nil, reports: (any Service)? = nil, helpers: [any Service] = [],
                monitoring: (any Service)? = nil) {
        self.relay = relay
        self.signals = signals
        self.reports = reports
        self.helpers = helpers
        self.monitoring = monitoring
    }

    /// The services in start order (the group stops them in reverse), with how each one's end affects the group.
    public var services: [ServiceGroupConfiguration.ServiceConfiguration] {
        var list: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let monitoring {
            list.append(.init(service: monitoring, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore,
                              serviceName: "monitoring"))
        }
        for helper in helpers { list.append(.init(service: helper, serviceName: "\(type(of: helper))")) }
        if let reports { list.append(.init(service: reports, serviceName: "report file")) }
        if let signals { list.append(.init(service: signals, serviceName: "signals")) }
        list.append(.init(service: relay, successTerminationBehavior: .gracefullyShutdownGroup,
                          failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "relay"))
        return list
    }

    /// A `ServiceGroup` configuration running the parts in this order.
    /// - Parameters:
    ///   - gracefulShutdownSignals: signals on which the group shuts down gracefully (none when ``signals`` handles them).
    ///   - logger: the group's logger (it logs at debug level only).
    public func configuration(gracefulShutdownSignals: [UnixSignal] = [], logger: Logger) -> ServiceGroupConfiguration {
        ServiceGroupConfiguration(services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
    }
}
