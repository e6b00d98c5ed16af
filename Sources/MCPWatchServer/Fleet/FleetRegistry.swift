import Foundation
import MCPWatchCore

/// The folder where every running mcpwatch says it is: `<pid>.sock` (its monitoring API) and `<pid>.json` (a
/// ``FleetInstance``), in `$XDG_STATE_HOME/mcpwatch/run/` (`~/.local/state/mcpwatch/run/` when unset), mode 0700.
///
/// Entries of processes that are gone (killed with SIGKILL, say) are removed by whoever scans next.
public struct FleetRegistry: Sendable {
    /// The `run` folder.
    public let directory: String

    /// A registry in `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The state folder mcpwatch keeps its files in: `$XDG_STATE_HOME/mcpwatch`, else `$HOME/.local/state/mcpwatch`;
    /// nil when neither variable is set.
    public static func stateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/mcpwatch" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/state/mcpwatch"
    }

    /// The registry in the default state folder, or nil when there is none.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> FleetRegistry? {
        stateDirectory(environment: environment).map { FleetRegistry(directory: $0 + "/run") }
    }

    /// Where process `pid` serves its API.
    public func socketPath(pid: Int32) -> String { "\(directory)/\(pid).sock" }

    func descriptionPath(pid: Int32) -> String { "\(directory)/\(pid).json" }

    /// Creates the folder (and its parent) with mode 0700, and makes an existing one 0700.
    /// - Throws: ``WatchError`` (`io`) when it cannot.
    public func prepare() throws {
        let parent = (directory as NSString).deletingLastPathComponent
        for folder in [parent, directory] {
            if mkdir(folder, 0o700) != 0 && errno != EEXIST {
                // A missing grandparent (`~/.local/state`): create the whole chain, then tighten the two we own.
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw WatchError(.io, "cannot create \(folder): \(String(cString: strerror(errno)))")
                }
            }
            if chmod(folder, 0o700) != 0 {
                throw WatchError(.io, "cannot make \(folder) private (mode 0700): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Writes `instance`'s description (atomically: a scan never reads half of it).
    /// - Throws: ``WatchError`` (`io`).
    public func register(_ instance: FleetInstance) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(instance), to: descriptionPath(pid: instance.pid))
    }

    /// Removes process `pid`'s socket and description.
    public func unregister(pid: Int32) {
        unlink(descriptionPath(pid: pid))
        unlink(socketPath(pid: pid))
    }

    /// The instances whose process is alive, oldest first; the entries of dead ones are removed on the way.
    /// - Parameter isAlive: whether a pid is a running process (injected by tests).
    public func scan(isAlive: (Int32) -> Bool = FleetRegistry.processIsAlive) -> [FleetInstance] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var found: [FleetInstance] = []
        var seen: Set<Int32> = []
        for name in names where !name.hasPrefix(".") {
            let base: Substring
            if name.hasSuffix(".json") { base = name.dropLast(5) } else if name.hasSuffix(".sock") { base = name.dropLast(5) } else { continue }
            guard let pid = Int32(base), pid > 0, seen.insert(pid).inserted else { continue }
            guard isAlive(pid) else {
                unregister(pid: pid)
                continue
            }
            // A live process without a readable description is still starting (or not an mcpwatch): skipped, not removed.
            guard let data = FileManager.default.contents(atPath: descriptionPath(pid: pid)),
                  var instance = try? decoder.decode(FleetInstance.self, from: data), instance.pid == pid else { continue }
            instance.socket = socketPath(pid: pid)
            found.append(instance)
        }
        return found.sorted { ($0.startedAt, $0.pid) < ($1.startedAt, $1.pid) }
    }

    /// Whether `pid` is a running process (`kill(pid, 0)`; EPERM means it runs as another user).
    public static func processIsAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
