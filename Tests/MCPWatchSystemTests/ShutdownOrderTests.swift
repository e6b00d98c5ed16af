import Foundation
import Logging
import MCPWatchCore
import MCPWatchSystem
import ServiceLifecycle
import Synchronization
import Testing

/// The order in which one command's services stop: the relay drains first, then the last report is written, then
/// the helpers and the HTTP side. Every service reports through one stream; nothing sleeps.
@Suite struct ShutdownOrderTests {
    struct Setup {
        let events: AsyncStream<ServiceEvent>
        let relay: RecordingService
        let signals: RecordingService
        let sampler: RecordingService
        let alerts: RecordingService
        let monitoring: RecordingService
        let store: MetricsStore
        let reportPath: String
        let order: ShutdownOrder
        /// What the report file said when the HTTP side was asked to stop.
        let reportAtHTTPStop: Seen
    }

    /// What the report file said when the HTTP side was asked to stop.
    final class Seen: Sendable {
        private let report = Mutex<Report?>(nil)
        func set(_ value: Report?) { report.withLock { $0 = value } }
        var value: Report? { report.withLock { $0 } }
    }

    static func setup() -> Setup {
        let (events, continuation) = AsyncStream.makeStream(of: ServiceEvent.self)
        let store = MetricsStore()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mcpwatch-order-\(UUID().uuidString).json").path
        // The relay's last call is answered while it drains, after everything else has been running for a while.
        let relay = RecordingService("relay", events: continuation) {
            store.record(CompletedCall(method: "tools/call", target: "last", id: RequestID(1), outcome: .lost, durationNanos: 1_000,
                                       finishedAt: store.clock.now()))
        }
        let seen = Seen()
        let monitoring = RecordingService("monitoring", events: continuation) {
            let report = (try? Data(contentsOf: URL(fileURLWithPath: path))).flatMap { try? Report.decoder().decode(Report.self, from: $0) }
            seen.set(report)
        }
        let signals = RecordingService("signals", events: continuation)
        let sampler = RecordingService("sampler", events: continuation)
        let alerts = RecordingService("alerts", events: continuation)
        let reports = ReportFileService(writer: ReportFileWriter(path: path, store: store, serverName: nil), interval: .seconds(3_600))
        let order = ShutdownOrder(relay: relay, signals: signals, reports: reports, helpers: [sampler, alerts], monitoring: monitoring)
        return Setup(events: events, relay: relay, signals: signals, sampler: sampler, alerts: alerts, monitoring: monitoring,
                     store: store, reportPath: path, order: order, reportAtHTTPStop: seen)
    }

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// Reads events until every one of `names` has started.
    static func waitUntilStarted(_ names: Set<String>, _ iterator: inout AsyncStream<ServiceEvent>.Iterator) async {
        var started = Set<String>()
        while started != names, let event = await iterator.next() {
            if case .started(let name) = event { started.insert(name) }
        }
    }

    /// The events after start-up, until the group ended (the stream is read to its end by then).
    static func rest(_ iterator: inout AsyncStream<ServiceEvent>.Iterator, count: Int) async -> [ServiceEvent] {
        var list: [ServiceEvent] = []
        while list.count < count, let event = await iterator.next() { list.append(event) }
        return list
    }

    static let all: Set = ["relay", "signals", "sampler", "alerts", "monitoring"]

    static let stoppingOrder: [ServiceEvent] = [
        .shutdownRequested("relay"), .finished("relay"),
        .shutdownRequested("signals"), .finished("signals"),
        .shutdownRequested("alerts"), .finished("alerts"),
        .shutdownRequested("sampler"), .finished("sampler"),
        .shutdownRequested("monitoring"), .finished("monitoring"),
    ]

    @Test func aSignalStopsTheRelayFirstThenTheReportThenHelpersThenHTTP() async throws {
        let setup = Self.setup()
        defer { try? FileManager.default.removeItem(atPath: setup.reportPath) }
        let group = ServiceGroup(configuration: setup.order.configuration(logger: Self.logger))
        var events = setup.events.makeAsyncIterator()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await Self.waitUntilStarted(Self.all, &events)
            // What a signal does in the HTTP modes.
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(await Self.rest(&events, count: 10) == Self.stoppingOrder)
        // The report was written after the relay drained and before the HTTP side stopped: it has the last call.
        let report = try #require(setup.reportAtHTTPStop.value)
        #expect(report.targets.first { $0.name == "last" }?.outcomes["lost"] == 1)
    }

    @Test func theRelayEndingByItselfStopsTheRestInTheSameOrder() async throws {
        let setup = Self.setup()
        defer { try? FileManager.default.removeItem(atPath: setup.reportPath) }
        let group = ServiceGroup(configuration: setup.order.configuration(logger: Self.logger))
        var events = setup.events.makeAsyncIterator()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await Self.waitUntilStarted(Self.all, &events)
            // The stdio server exited: the relay returns, and the group shuts down behind it without error.
            setup.relay.end()
            try await tasks.next()
        }
        #expect(await Self.rest(&events, count: 9) == [.finished("relay")] + Self.stoppingOrder.dropFirst(2))
    }

    @Test func aRelayThatFailsStillLetsTheRestStopInOrderAndItsErrorIsThrown() async throws {
        let setup = Self.setup()
        defer { try? FileManager.default.removeItem(atPath: setup.reportPath) }
        let group = ServiceGroup(configuration: setup.order.configuration(logger: Self.logger))
        var events = setup.events.makeAsyncIterator()
        await #expect(throws: RecordingService.Failure(name: "relay")) {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                await Self.waitUntilStarted(Self.all, &events)
                setup.relay.fail()
                try await tasks.next()
            }
        }
        #expect(await Self.rest(&events, count: 9) == [.finished("relay")] + Self.stoppingOrder.dropFirst(2))
        #expect(setup.reportAtHTTPStop.value != nil)
    }

    @Test func theHTTPSideFailingLeavesTheRelayRunning() async throws {
        let setup = Self.setup()
        defer { try? FileManager.default.removeItem(atPath: setup.reportPath) }
        let group = ServiceGroup(configuration: setup.order.configuration(logger: Self.logger))
        var events = setup.events.makeAsyncIterator()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await Self.waitUntilStarted(Self.all, &events)
            // A taken monitoring port: the group goes on without it.
            setup.monitoring.fail()
            #expect(await events.next() == .finished("monitoring"))
            setup.relay.end()
            try await tasks.next()
        }
        #expect(await Self.rest(&events, count: 7) == [.finished("relay")] + Self.stoppingOrder.dropFirst(2).dropLast(2))
    }
}
