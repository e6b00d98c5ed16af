import ArgumentParser
import Foundation
import MCPWatchCore

/// `mcpwatch wrap`: puts `mcpwatch proxy --name KEY --` in front of every stdio server of a client's configuration.
struct WrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wrap",
        abstract: "Put mcpwatch in front of every stdio server of a client's configuration.",
        discussion: """
            Each stdio server's command becomes
              mcpwatch proxy --name KEY -- COMMAND ARGS...
            KEY being the server's name in the file. Only those values change:
            comments, key order, indentation and every other entry stay byte for
            byte. A server already started through mcpwatch is left alone, so wrap
            can run again after adding servers. The file as it was is kept beside it
            first (FILE\(ClientConfigFiles.backupSuffix)); `mcpwatch unwrap` gives
            each entry back exactly.

            Servers given by URL are listed with the command that would monitor
            them; with --remote they are started through the stdio front instead
            (mcpwatch proxy --name KEY --upstream URL).

            The files, by client (those that exist; --project for a project's):
              claude-desktop  ~/.config/Claude/claude_desktop_config.json
                              (macOS: ~/Library/Application Support/Claude/)
              claude-code     ~/.claude.json (mcpServers and
                              projects.*.mcpServers), .mcp.json
              cursor          ~/.cursor/mcp.json, .cursor/mcp.json
              vscode          .vscode/mcp.json, ~/.config/Code/User/mcp.json
                              (JSONC; the servers are under "servers")

            Examples:
              mcpwatch wrap claude-desktop --dry-run
              mcpwatch wrap claude-desktop
              mcpwatch wrap cursor --project ~/src/app
              mcpwatch wrap --config-file ~/work/.vscode/mcp.json
              mcpwatch wrap claude-code --config-file team.json --remote
            """
    )

    @OptionGroup var options: ClientConfigOptions

    @Flag(name: .long, help: "Also put servers given by URL behind mcpwatch (the stdio front: mcpwatch proxy --upstream URL).")
    var remote = false

    @Option(name: .long, help: ArgumentHelp("The command wrapped entries run (default: this mcpwatch's absolute path, since clients started from a desktop often lack the shell's PATH; `mcpwatch` to look it up in the client's PATH).", valueName: "path"))
    var executable: String?

    func run() async throws {
        let executable = executable ?? Self.currentExecutable()
        let wrapOptions = ServerWrapper.Options(executable: executable, remote: remote)
        let files = try ClientConfigFiles.edit(options, verb: "wrap") { bytes, client in
            try ServerWrapper.wrap(bytes, client: client, options: wrapOptions)
        }
        if executable.contains("/.build/") && !options.dryRun && files.contains(where: \.plan.changes) {
            Diagnostics.warning("the servers now run the mcpwatch of a build folder (\(executable)); scripts/install puts one where it stays: then run `mcpwatch unwrap` and `mcpwatch wrap` with it")
        }
    }

    /// This mcpwatch's absolute path as it was started (a symbolic link on the PATH stays the link, so that an
    /// upgrade of what it points to is picked up), found in PATH when it was started by name.
    static func currentExecutable() -> String {
        let name = CommandLine.arguments.first ?? "mcpwatch"
        if name.contains("/") { return ClientConfigOptions.absolute(name) }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return ClientConfigOptions.absolute(candidate) }
        }
        return Bundle.main.executablePath ?? name
    }
}
