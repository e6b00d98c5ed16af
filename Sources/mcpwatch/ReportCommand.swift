import ArgumentParser
import Foundation
import MCPWatchCore
import MCPWatchStore

/// `mcpwatch report`: a server's (or every server's) figures from the local store, as a table or JSON.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print what the local store remembers: each server's calls, errors and latency over a time range.",
        discussion: """
            Reads the store every proxy writes (see docs/store.md); no proxy needs to be running. Percentiles come
            from the summed latency histograms of the range, at the finest resolution the store still keeps for it
            (seconds for the last hour, minutes up to a day, hours beyond).

            Examples:
              mcpwatch report
              mcpwatch report --server time --since 7d
              mcpwatch report --since 30d --json | jq '.[0].total.p95Ms'
            """)

    @Option(name: .long, help: ArgumentHelp("Only this server (as --name, serverInfo or its command named it).", valueName: "name"))
    var server: String?

    @Option(name: .long, help: ArgumentHelp("How far back: 15m, 24h, 7d, 30d (default 24h).", valueName: "duration"))
    var since: String = "24h"

    /// `--since` as a duration.
    var sinceDuration: Duration { StoreSettings.parseDuration(since) ?? .seconds(86_400) }

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup(title: "Local store") var storeOptions: StoreOptions

    @OptionGroup(title: "Configuration") var configFile: ConfigOptions

    func validate() throws {
        guard let span = StoreSettings.parseDuration(since), span > .zero else {
            throw ValidationError("--since must be a duration above zero such as 15m, 24h or 7d, not '\(since)'")
        }
        if storeOptions.noStore { throw ValidationError("--no-store leaves nothing to report") }
    }

    func run() async throws {
        var configuration = try configFile.load()
        storeOptions.apply(to: &configuration)
        let reader = try StoreReader(path: configuration.store.resolvedPath, settings: configuration.store)
        let now = Date()
        let seconds = Double(sinceDuration.components.seconds) + Double(sinceDuration.components.attoseconds) / 1e18
        var reports = try reader.report(server: server, since: now.addingTimeInterval(-seconds), until: now, now: now)
        let traffic = try reader.traffic(server: server, since: now.addingTimeInterval(-seconds), until: now)
        for i in reports.indices { reports[i].traffic = traffic[reports[i].server] }
        if let server, reports.isEmpty {
            throw WatchError(.invalidArgument, "the store at \(configuration.store.resolvedPath) knows no server named '\(server)'")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(reports), as: UTF8.self))
            return
        }
        print(Self.table(reports, since: sinceDuration))
    }

    /// What traffic control did, below a server's targets: apart from them, which count only what reached the server.
    static func trafficLines(_ t: StoredTrafficFigures) -> [String] {
        let answered = TrafficOutcome.allCases.map { "\($0.rawValue) \(t.answered[$0.rawValue] ?? 0)" }.joined(separator: ", ")
        let rate = t.cacheHitRate.map { String(format: "%.1f %%", $0) } ?? "-"
        return [
            "  traffic control: \(t.admitted) let through; answered by mcpwatch: \(answered)",
            "    cache hits \(t.cacheHits), misses \(t.cacheMisses) (hit rate \(rate)), evictions \(t.cacheEvictions); "
                + "deepest queue \(t.queueDepthMax); breakers opened \(t.breakerOpenings); late answers dropped \(t.lateAnswersDropped)",
        ]
    }

    /// The reports as text: one block per server, its total first, then its targets.
    static func table(_ reports: [StoredServerReport], since: Duration) -> String {
        guard !reports.isEmpty else { return "no calls in the store over the last \(StoreSettings.format(since))" }
        func ms(_ value: Double?) -> String { value.map { $0 < 10 ? String(format: "%.2f", $0) : String(format: "%.0f", $0) } ?? "-" }
        var lines: [String] = []
        for report in reports {
            lines.append("\(report.server)  (last \(StoreSettings.format(since)), \(report.resolution))")
            let rows = [report.total] + report.targets
            let names = rows.enumerated().map { i, r in i == 0 ? "all" : (r.target.isEmpty ? r.method : "\(r.method) \(r.target)") }
            let width = max(6, names.map(\.count).max() ?? 6)
            lines.append("  " + "target".padding(toLength: width, withPad: " ", startingAt: 0)
                         + "      calls     errors   avg ms   p50 ms   p95 ms   p99 ms")
            for (name, r) in zip(names, rows) {
                let cells = [String(r.calls), String(r.errors), ms(r.avgMs), ms(r.p50Ms), ms(r.p95Ms), ms(r.p99Ms)]
                let widths = [11, 11, 9, 9, 9, 9]
                lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0)
                             + zip(cells, widths).map { String(repeating: " ", count: max(0, $1 - $0.count)) + $0 }.joined())
            }
            if let traffic = report.traffic { lines += trafficLines(traffic) }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
