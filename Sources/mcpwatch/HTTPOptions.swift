import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchServer

/// Options of the monitoring HTTP server.
struct HTTPOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Serve metrics and the API on HOST:PORT.", valueName: "host:port"))
    var listen = "127.0.0.1:9470"

    @Flag(name: .long, help: "Do not serve HTTP at all.")
    var noHTTP = false

    @Option(name: .long, help: ArgumentHelp("File with API keys, one per line; every endpoint then requires one (also MCPWATCH_API_KEY).", valueName: "path"))
    var apiKeyFile: String?

    @Flag(name: .long, help: "Let /api/health answer without an API key.")
    var healthWithoutKey = false

    @Flag(name: .long, help: "Allow listening on a non-loopback address without an API key.")
    var insecurePublic = false

    func validate() throws {
        do {
            _ = try ListenAddress(parsing: listen)
        } catch let error as WatchError {
            throw ValidationError("--listen \(error.message)")
        }
    }

    /// The API keys from the file and the environment.
    func apiKeys(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        var keys: [String] = []
        if let apiKeyFile {
            guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8) else {
                throw WatchError(.invalidConfiguration, "cannot read the API key file \(apiKeyFile)")
            }
            keys += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            if keys.isEmpty { throw WatchError(.invalidConfiguration, "the API key file \(apiKeyFile) holds no key") }
        }
        if let fromEnvironment = environment["MCPWATCH_API_KEY"] {
            keys += fromEnvironment.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return keys
    }

    /// The monitoring server these options describe, or nil with `--no-http`.
    /// - Throws: ``WatchError`` for a public address without a key, or an unreadable key file.
    func server(sources: MonitoringSources, logger: Logger) throws -> MonitoringServer? {
        guard !noHTTP else { return nil }
        let address = try ListenAddress(parsing: listen)
        let keys = try apiKeys()
        if !address.isLoopback && keys.isEmpty && !insecurePublic {
            throw WatchError(.invalidConfiguration,
                "refusing to serve metrics on \(address), which other machines can reach, without an API key: set --api-key-file or MCPWATCH_API_KEY, or pass --insecure-public")
        }
        return MonitoringServer(
            configuration: .init(host: address.host, port: address.port, apiKeys: keys, healthWithoutKey: healthWithoutKey),
            sources: sources, logger: logger)
    }
}

extension MonitoringServer {
    /// Serves; if it cannot (the port is taken), says so and returns, so that the relay goes on regardless.
    func runKeepingTheRelayAlive(logger: Logger) async {
        let address = "\(configuration.host):\(configuration.port)"
        do {
            try await run { port in
                logger.info("serving metrics and the API", metadata: ["url": "http://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(port)/"])
            }
        } catch is CancellationError {
        } catch {
            let text = "mcpwatch: cannot serve HTTP on \(address): \(error); the proxy keeps running without it (use --listen to pick another address, or --no-http)\n"
            FileHandle.standardError.write(Data(text.utf8))
            logger.error("cannot serve HTTP", metadata: ["address": "\(address)", "error": "\(error)"])
        }
    }
}
