import ArgumentParser
import Foundation
import MCPWatchCore

/// `--config FILE`, read before the environment and the flags.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file (see docs/configuration.md); also MCPWATCH_CONFIG.", valueName: "path"))
    var config: String?

    /// The configuration from the file and the environment; flags are applied by the command afterwards.
    /// - Throws: ``WatchError`` listing every problem, each with its file and line or variable.
    func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> WatchConfiguration {
        var configuration = WatchConfiguration()
        var problems: [ConfigProblem] = []
        if let path = config ?? environment["MCPWATCH_CONFIG"] {
            problems += configuration.apply(file: try ConfigFile.load(path: path), source: path)
        }
        problems += configuration.apply(environment: environment)
        if !problems.isEmpty {
            throw WatchError(.invalidConfiguration, "invalid configuration:\n" + problems.map { "  \($0)" }.joined(separator: "\n"))
        }
        return configuration
    }
}

/// `mcpwatch config check`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Work with the configuration.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate the configuration (file and MCPWATCH_... environment) and print the effective result.",
            discussion: """
                Exits 0 and prints every key with its effective value when all is well; exits 78 (a configuration
                error, as every command) and names each problem with its file and line (or environment variable)
                otherwise.

                Examples:
                  mcpwatch config check --config mcpwatch.yaml
                  MCPWATCH_HTTP_LISTEN=127.0.0.1:9999 mcpwatch config check
                """)

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let configuration = try options.load()
            print("# effective configuration (defaults < \(options.config ?? "no file") < environment)")
            print(configuration.renderYAML(), terminator: "")
        }
    }
}
