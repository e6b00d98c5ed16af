/// An MCP client whose configuration file `mcpwatch wrap` edits: where the file is, which key holds the servers, and
/// which dialect of JSON it is written in (each as the client documents it).
public enum ClientKind: String, CaseIterable, Sendable {
    /// Claude Desktop: `claude_desktop_config.json`, `mcpServers`.
    case claudeDesktop = "claude-desktop"
    /// Claude Code: `~/.claude.json` (user scope `mcpServers`, local scope `projects.<path>.mcpServers`) and a
    /// project's `.mcp.json` (project scope).
    case claudeCode = "claude-code"
    /// Cursor: `~/.cursor/mcp.json` and a project's `.cursor/mcp.json`, `mcpServers`.
    case cursor
    /// VS Code: a workspace's `.vscode/mcp.json` and the user profile's `mcp.json`, `servers`, JSONC.
    case vscode

    /// The platform whose file locations to use.
    public enum Platform: Sendable {
        case linux, macOS

        /// The platform this was built for.
        public static var current: Platform {
            #if os(macOS)
            .macOS
            #else
            .linux
            #endif
        }
    }

    /// The client's name for people.
    public var displayName: String {
        switch self {
        case .claudeDesktop: "Claude Desktop"
        case .claudeCode: "Claude Code"
        case .cursor: "Cursor"
        case .vscode: "VS Code"
        }
    }

    /// The dialect the client reads: VS Code's `mcp.json` is JSONC (comments, trailing commas); the others are JSON.
    public var dialect: JSONCParser.Dialect { self == .vscode ? .jsonc : .json }

    /// The files the client reads its servers from, in the order `wrap` lists them.
    /// - Parameters:
    ///   - home: the user's home folder.
    ///   - project: the project (workspace) folder, for the files that live in one.
    ///   - configHome: `$XDG_CONFIG_HOME`, when set.
    public func configFiles(home: String, project: String, configHome: String? = nil, platform: Platform = .current) -> [String] {
        let config = configHome.flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
        let applicationSupport = home + "/Library/Application Support"
        switch self {
        case .claudeDesktop:
            return [platform == .macOS ? applicationSupport + "/Claude/claude_desktop_config.json" : config + "/Claude/claude_desktop_config.json"]
        case .claudeCode:
            return [home + "/.claude.json", project + "/.mcp.json"]
        case .cursor:
            return [home + "/.cursor/mcp.json", project + "/.cursor/mcp.json"]
        case .vscode:
            return [project + "/.vscode/mcp.json", (platform == .macOS ? applicationSupport : config) + "/Code/User/mcp.json"]
        }
    }

    /// The client whose file this is, guessed from its name (for `--config-file` without a client), or nil.
    public static func guess(fromPath path: String) -> ClientKind? {
        let parts = path.split(separator: "/").map(String.init)
        let name = parts.last ?? ""
        let folder = parts.count >= 2 ? parts[parts.count - 2] : ""
        switch name {
        case "claude_desktop_config.json": return .claudeDesktop
        case ".claude.json", ".mcp.json": return .claudeCode
        case "mcp.json" where folder == ".cursor": return .cursor
        case "mcp.json" where folder == ".vscode" || folder == "User": return .vscode
        default: return nil
        }
    }

    /// Where the server tables are in a parsed file: each as the path of keys from the top and the object.
    public func serverTables(in root: JSONCNode) -> [(path: [String], table: JSONCNode)] {
        var tables: [(path: [String], table: JSONCNode)] = []
        let key = self == .vscode ? "servers" : "mcpServers"
        if let table = root[key], table.members != nil { tables.append(([key], table)) }
        if self == .claudeCode, let projects = root["projects"]?.members {
            for project in projects {
                if let table = project.value["mcpServers"], table.members != nil {
                    tables.append((["projects", project.key, "mcpServers"], table))
                }
            }
        }
        return tables
    }
}
