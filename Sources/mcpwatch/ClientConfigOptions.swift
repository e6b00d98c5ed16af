import ArgumentParser
import Foundation
import MCPWatchCore

/// What `wrap` and `unwrap` both take: the client, or a file, and `--dry-run`.
struct ClientConfigOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The client whose configuration to edit: claude-desktop, claude-code, cursor or vscode (with --config-file: the format of that file; guessed from its name when left out).", valueName: "client"))
    var client: ClientKind?

    @Option(name: .long, help: ArgumentHelp("Edit this file instead of the client's own.", valueName: "path"))
    var configFile: String?

    @Option(name: .long, help: ArgumentHelp("The project folder of Claude Code's .mcp.json, Cursor's .cursor/mcp.json and VS Code's .vscode/mcp.json (default: the current folder).", valueName: "folder"))
    var project: String?

    @Flag(name: .long, help: "Print the change as a unified diff, and change nothing.")
    var dryRun = false

    func validate() throws {
        if client == nil && configFile == nil {
            throw ValidationError("name a client (\(ClientKind.allCases.map(\.rawValue).joined(separator: ", "))) or --config-file PATH")
        }
    }

    /// The files to edit, each with the client whose format it is in.
    /// - Throws: ``WatchError`` (`invalidArgument`): a named file that does not exist, a file whose client cannot be
    ///   told, or a client none of whose files exists.
    func files() throws -> [(path: String, client: ClientKind)] {
        let manager = FileManager.default
        if let configFile {
            let path = Self.absolute(configFile)
            guard manager.fileExists(atPath: path) else { throw WatchError(.invalidArgument, "\(configFile): no such file") }
            guard let kind = client ?? ClientKind.guess(fromPath: path) else {
                throw WatchError(.invalidArgument, "cannot tell whose configuration \(configFile) is: name the client, as in `mcpwatch wrap cursor --config-file \(configFile)`")
            }
            return [(path, kind)]
        }
        guard let client else { return [] }
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        let candidates = client.configFiles(home: home, project: Self.absolute(project ?? "."), configHome: environment["XDG_CONFIG_HOME"])
        // Run from the home folder, a project's file is the user's own (Cursor's ~/.cursor/mcp.json): edit it once.
        var seen = Set<String>()
        let found = candidates.filter { manager.fileExists(atPath: $0) && seen.insert($0).inserted }
        guard !found.isEmpty else {
            throw WatchError(.invalidArgument, "no configuration of \(client.displayName) found (looked for \(candidates.joined(separator: ", "))); name one with --config-file")
        }
        return found.map { ($0, client) }
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }
}
