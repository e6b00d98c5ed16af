import ArgumentParser
import MCPWatchCore

/// `mcpwatch unwrap`: gives back every server entry that `mcpwatch wrap` changed, byte for byte.
struct UnwrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unwrap",
        abstract: "Give back every server entry that `mcpwatch wrap` changed, exactly as it was.",
        discussion: """
            Each entry that wrap wrote (mcpwatch proxy --name KEY -- COMMAND ...,
            or with --remote mcpwatch proxy --name KEY --upstream URL) gets back
            its own command and arguments, or its URL, byte for byte; everything
            else in the file stays as it is. Entries started through mcpwatch in
            another way (written by hand) are left alone. The file as it was is
            kept beside it first (FILE\(ClientConfigFiles.backupSuffix)). Takes the
            same client, --config-file, --project and --dry-run as wrap.

            Examples:
              mcpwatch unwrap claude-desktop --dry-run
              mcpwatch unwrap --config-file .vscode/mcp.json
            """
    )

    @OptionGroup var options: ClientConfigOptions

    func run() async throws {
        _ = try ClientConfigFiles.edit(options, verb: "unwrap") { bytes, client in
            try ServerWrapper.unwrap(bytes, client: client, executable: WrapCommand.currentExecutable())
        }
    }
}
