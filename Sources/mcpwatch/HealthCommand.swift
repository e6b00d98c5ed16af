import ArgumentParser
import AsyncHTTPClient
import Foundation
import MCPWatchCore
import NIOCore

/// `mcpwatch health`: asks a running mcpwatch for `/api/health` and exits 0, 1 or 2, for cron, CI and
/// container health checks.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check a running mcpwatch: print a one-line verdict and exit 0, 1 or 2.",
        discussion: """
            Reads /api/health of the mcpwatch at URL (default http://127.0.0.1:9470,
            the default --listen of `mcpwatch proxy`). URL may be the base address
            or the full address of the health endpoint.

            Exit status:
              0  healthy, and answered within --max-response-time
              1  degraded, or answered slower than --max-response-time
              2  unhealthy (a critical problem, or the MCP server process is gone),
                 unreachable, timed out, or the API key was refused
              64 invalid options, 78 an unreadable --api-key-file (as every command)

            Examples:
              mcpwatch health
              mcpwatch health http://10.0.0.5:9470 --api-key-file /run/secrets/mcpwatch-key
              mcpwatch health --max-response-time 500ms || alert-someone
            """
    )

    @Argument(help: ArgumentHelp("mcpwatch's address, or its health endpoint.", valueName: "url"))
    var url: String = "http://127.0.0.1:9470"

    @Option(name: .long, help: ArgumentHelp("Answers slower than this exit 1: 250ms, 1s, or a number of seconds.", valueName: "duration"))
    var maxResponseTime: Duration?

    @Option(name: .long, help: ArgumentHelp("Give up after this long and exit 2.", valueName: "duration"))
    var timeout: Duration = .seconds(10)

    @Option(name: .long, help: ArgumentHelp("File whose first line is the API key (also MCPWATCH_API_KEY).", valueName: "path"))
    var apiKeyFile: String?

    @Flag(name: .long, help: "Print the health document as JSON instead of the one-line verdict.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing; only the exit status tells.")
    var quiet = false

    func validate() throws {
        if let maxResponseTime, !(maxResponseTime > .zero) { throw ValidationError("--max-response-time must be above zero") }
        if !(timeout > .zero) { throw ValidationError("--timeout must be above zero") }
        guard Self.healthURL(url) != nil else {
            throw ValidationError("'\(url)' is not an http:// or https:// address")
        }
    }

    /// The health endpoint's address: the URL as given when it names a path, else `/api/health` on it.
    static func healthURL(_ text: String) -> String? {
        var text = text
        if !text.contains("://") { text = "http://" + text }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else { return nil }
        if components.path.isEmpty || components.path == "/" {
            var base = text
            while base.hasSuffix("/") { base.removeLast() }
            return base + "/api/health"
        }
        return text
    }

    func run() async throws {
        let address = Self.healthURL(url)!
        let key = try readKey()
        let verdict = await Self.check(url: address, apiKey: key, timeout: .nanoseconds(timeout.inNanoseconds),
                                       maxResponseTime: maxResponseTime.map { .microseconds(Int64(max(1, ($0.inSeconds * 1_000_000).rounded()))) })
        if !quiet {
            if json, let health = verdict.health {
                print(String(decoding: try Report.encoder().encode(health), as: UTF8.self))
            } else if json {
                print(verdict.jsonWithoutReport(url: address))
            } else {
                print(verdict.line)
            }
        }
        if verdict.exitCode != 0 { throw ExitCode(verdict.exitCode) }
    }

    private func readKey() throws -> String? {
        if let apiKeyFile { return try KeyFile.keys(apiKeyFile)[0] }
        if let key = ProcessInfo.processInfo.environment["MCPWATCH_API_KEY"], !key.isEmpty { return key }
        return nil
    }

    /// One request to the health endpoint, judged.
    static func check(url: String, apiKey: String?, timeout: TimeAmount, maxResponseTime: Duration?) async -> HealthCheckVerdict {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "mcpwatch-health")
        request.headers.add(name: "Accept", value: "application/json")
        if let apiKey { request.headers.add(name: "X-API-Key", value: apiKey) }
        // A refused connection is an answer: say so at once rather than retrying it until the timeout.
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let verdict = await check(request, url: url, apiKey: apiKey, timeout: timeout, maxResponseTime: maxResponseTime, client: client)
        try? await client.shutdown()
        return verdict
    }

    private static func check(_ request: HTTPClientRequest, url: String, apiKey: String?, timeout: TimeAmount, maxResponseTime: Duration?,
                              client: HTTPClient) async -> HealthCheckVerdict {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            let elapsed = clock.now - start
            return HealthCheckVerdict.judge(status: Int(response.status.code), body: Array(body.readableBytesView),
                                            elapsed: elapsed, maxResponseTime: maxResponseTime, url: url, sentKey: apiKey != nil)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .unreachable(url: url, reason: "no answer within \(timeout.nanoseconds / 1_000_000) ms")
        } catch {
            return .unreachable(url: url, reason: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused (is mcpwatch running and listening there?)"
        }
        return text
    }
}
