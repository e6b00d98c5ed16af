import Foundation
import Hummingbird
import Testing
@testable import MCPWatchServer

@Suite struct FleetTests {
    /// Counts registry scans.
    final class ScanCount {
        var value = 0
    }

    static func instance(_ pid: Int32, _ name: String, startedAt: TimeInterval, registry: FleetRegistry? = nil) -> FleetInstance {
        FleetInstance(pid: pid, startedAt: Date(timeIntervalSince1970: startedAt), name: name, command: ["srv"], mode: "stdio",
                      socket: registry?.socketPath(pid: pid) ?? "/s/\(pid).sock")
    }

    static func temporaryRegistry() throws -> FleetRegistry {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)").path
        let registry = FleetRegistry(directory: base + "/run")
        try registry.prepare()
        return registry
    }

    @Test func theStateFolderFollowsXDGThenHome() {
        #expect(FleetRegistry.stateDirectory(environment: ["XDG_STATE_HOME": "/x/state", "HOME": "/home/u"]) == "/x/state/mcpwatch")
        // A relative XDG_STATE_HOME is to be ignored (XDG base directory spec).
        #expect(FleetRegistry.stateDirectory(environment: ["XDG_STATE_HOME": "rel", "HOME": "/home/u"]) == "/home/u/.local/state/mcpwatch")
        #expect(FleetRegistry.stateDirectory(environment: [:]) == nil)
        #expect(FleetRegistry.standard(environment: ["HOME": "/h"])?.directory == "/h/.local/state/mcpwatch/run")
    }

    @Test func theRegistryFolderIsPrivate() throws {
        let registry = try Self.temporaryRegistry()
        var info = stat()
        #expect(stat(registry.directory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(stat((registry.directory as NSString).deletingLastPathComponent, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
    }

    @Test func aScanListsTheLivingOldestFirstAndRemovesTheDead() throws {
        let registry = try Self.temporaryRegistry()
        try registry.register(Self.instance(300, "late", startedAt: 2_000, registry: registry))
        try registry.register(Self.instance(100, "early", startedAt: 1_000, registry: registry))
        try registry.register(Self.instance(200, "dead", startedAt: 1_500, registry: registry))
        FileManager.default.createFile(atPath: registry.socketPath(pid: 200), contents: Data())
        FileManager.default.createFile(atPath: registry.socketPath(pid: 400), contents: Data())  // a dead socket alone
        FileManager.default.createFile(atPath: registry.socketPath(pid: 500), contents: Data())  // alive, still starting
        FileManager.default.createFile(atPath: registry.directory + "/notes.txt", contents: Data())
        let alive: Set<Int32> = [100, 300, 500]
        let found = registry.scan { alive.contains($0) }
        #expect(found.map(\.name) == ["early", "late"])
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: registry.directory))
        #expect(left == ["100.json", "300.json", "500.sock", "notes.txt"])
    }

    @Test func aDescriptionCannotPointAtAnotherSocket() throws {
        let registry = try Self.temporaryRegistry()
        var forged = Self.instance(100, "x", startedAt: 1, registry: registry)
        forged.socket = "/etc/elsewhere.sock"
        try registry.register(forged)
        #expect(registry.scan { _ in true }.map(\.socket) == [registry.socketPath(pid: 100)])
        // A description naming another pid than its file is skipped.
        try registry.register(Self.instance(7, "seven", startedAt: 1, registry: registry))
        try FileManager.default.moveItem(atPath: registry.directory + "/7.json", toPath: registry.directory + "/8.json")
        #expect(registry.scan { _ in true }.map(\.pid) == [100])
    }

    @Test func hostileNamesAreOnlyData() throws {
        let registry = try Self.temporaryRegistry()
        let name = "../../evil\"<script>alert(1)</script>\n/\u{0}é"
        try registry.register(Self.instance(100, name, startedAt: 1, registry: registry))
        #expect(registry.scan { _ in true }.map(\.name) == [name])
        #expect(try FileManager.default.contentsOfDirectory(atPath: registry.directory) == ["100.json"])
    }

    @Test func aServerWithoutANameIsNamedByItsCommand() {
        #expect(FleetInstance.fallbackName(command: ["/usr/bin/python3", "server.py", "--x"]) == "python3 server.py --x")
        #expect(FleetInstance.fallbackName(command: ["https://example.com/mcp"]) == "https://example.com/mcp")
        #expect(FleetInstance.fallbackName(command: []) == "mcpwatch")
    }

    @Test func aNameIsAnsweredHereWhenItCanBeElseByTheNewest() {
        let all = [Self.instance(1, "a", startedAt: 10), Self.instance(2, "b", startedAt: 20), Self.instance(3, "a", startedAt: 30)]
        #expect(FleetInstance.answering("a", in: all, own: nil)?.pid == 3)
        #expect(FleetInstance.answering("a", in: all, own: 1)?.pid == 1)
        #expect(FleetInstance.answering("b", in: all, own: 1)?.pid == 2)
        #expect(FleetInstance.answering("c", in: all, own: 1) == nil)
    }

    @Test func routesFollowTheServerParameter() {
        let all = [Self.instance(1, "self", startedAt: 10), Self.instance(2, "other", startedAt: 20)]
        let scans = ScanCount()
        let running = { scans.value += 1; return all }
        let me = (pid: Int32(1), name: "self")
        #expect(FleetFrontDoor.route(server: nil, member: me, running: running) == .here)
        #expect(FleetFrontDoor.route(server: "self", member: me, running: running) == .here)
        #expect(scans.value == 0, "a request about this process does not scan the registry")
        #expect(FleetFrontDoor.route(server: "other", member: me, running: running) == .forward(all[1]))
        guard case .refuse(404, _) = FleetFrontDoor.route(server: "nobody", member: me, running: running) else {
            Issue.record("an unknown name is a 404")
            return
        }
        // `mcpwatch dashboard`: no server of its own; without a name, the newest one answers.
        #expect(FleetFrontDoor.route(server: nil, member: nil, running: running) == .forward(all[1]))
        #expect(FleetFrontDoor.route(server: "self", member: nil, running: running) == .forward(all[0]))
        guard case .refuse(503, _) = FleetFrontDoor.route(server: nil, member: nil, running: { [] }) else {
            Issue.record("no server at all is a 503")
            return
        }
    }

    @Test func theServerParameterIsTakenOutAndTheRestKeptAsItCame() {
        #expect(FleetMiddleware<BasicRequestContextStandIn>.removingServer(from: "server=a%20b&seconds=60&method=tools%2Fcall") == "seconds=60&method=tools%2Fcall")
        #expect(FleetMiddleware<BasicRequestContextStandIn>.removingServer(from: "x=1&%73erver=a&server") == "x=1")
        #expect(FleetMiddleware<BasicRequestContextStandIn>.removingServer(from: nil) == "")
        #expect(FleetMiddleware<BasicRequestContextStandIn>.isPerServer("/api/report"))
        #expect(FleetMiddleware<BasicRequestContextStandIn>.isPerServer("/performance/health"))
        #expect(!FleetMiddleware<BasicRequestContextStandIn>.isPerServer("/metrics"))
        #expect(!FleetMiddleware<BasicRequestContextStandIn>.isPerServer("/api/servers"))
        #expect(!FleetMiddleware<BasicRequestContextStandIn>.isPerServer("/assets/fleet.js"))
    }

    @Test func serversGroupInstancesByNameAndTheLiveWin() {
        let t = Date(timeIntervalSince1970: 1_000)
        func summary(_ pid: Int32, _ name: String, running: Bool, calls: Int, p95: Double?) -> FleetInstanceSummary {
            FleetInstanceSummary(pid: pid, name: name, command: [], mode: "stdio", startedAt: t.addingTimeInterval(Double(pid)),
                                 running: running, lastSeen: t.addingTimeInterval(Double(pid) * 10), calls: calls, errors: 1,
                                 p95Ms: p95, callsTotal: UInt64(calls), errorsTotal: 1)
        }
        let live = [summary(1, "b", running: true, calls: 5, p95: 3), summary(2, "a", running: true, calls: 7, p95: nil)]
        let history = [summary(1, "b", running: false, calls: 99, p95: 99), summary(3, "b", running: false, calls: 2, p95: 8),
                       summary(4, "gone", running: false, calls: 0, p95: nil)]
        let servers = FleetServerSummary.grouped(live: live, history: history)
        #expect(servers.map(\.name) == ["a", "b", "gone"])
        let b = servers[1]
        #expect(b.running && b.instances.map(\.pid) == [1, 3] && b.calls == 7 && b.errors == 2 && b.p95Ms == 8)
        #expect(b.lastSeen == t.addingTimeInterval(30))
        #expect(!servers[2].running && servers[2].p95Ms == nil)
    }
}

/// `FleetMiddleware`'s static helpers need a context type only to be named.
typealias BasicRequestContextStandIn = Hummingbird.BasicRequestContext
