import Testing
@testable import MCPWatchCore

@Suite struct WatchConfigurationTests {
    func mapping(_ sections: [(String, [(String, ConfigNode)])]) -> ConfigNode {
        .mapping(sections.enumerated().map { i, section in
            ConfigEntry(key: section.0, line: i * 10 + 1, value: .mapping(section.1.enumerated().map { j, entry in
                ConfigEntry(key: entry.0, line: i * 10 + j + 2, value: entry.1)
            }, line: i * 10 + 2))
        }, line: 1)
    }

    @Test func fileThenEnvironmentInOrder() {
        var c = WatchConfiguration()
        let problems = c.apply(file: mapping([
            ("proxy", [("max_targets", .scalar("50", line: 3)), ("shutdown_grace", .scalar("250ms", line: 4))]),
            ("http", [("listen", .scalar("127.0.0.1:9999", line: 6)), ("health_without_key", .scalar("yes", line: 7))]),
            ("server", [("command", .sequence([.scalar("uvx", line: 9), .scalar("mcp-server-time", line: 9)], line: 9))]),
        ]), source: "f.yaml")
        #expect(problems.isEmpty)
        #expect(c.maxTargets == 50)
        #expect(c.shutdownGrace == .milliseconds(250))
        #expect(c.listen == ListenAddress(host: "127.0.0.1", port: 9999))
        #expect(c.healthWithoutKey)
        #expect(c.serverCommand == ["uvx", "mcp-server-time"])
        #expect(c.apply(environment: ["MCPWATCH_HTTP_LISTEN": "127.0.0.1:1234", "MCPWATCH_API_KEY": "a, b", "UNRELATED": "x"]).isEmpty)
        #expect(c.listen.port == 1234)
        #expect(c.apiKeys == ["a", "b"])
    }

    @Test func unknownKeysAndWrongTypesNameKeyAndLine() {
        var c = WatchConfiguration()
        let problems = c.apply(file: mapping([
            ("http", [("listn", .scalar("x", line: 2))]),
            ("proxy", [("max_targets", .scalar("many", line: 12)), ("max_message_bytes", .sequence([], line: 13))]),
            ("alerts_typo", []),
        ]), source: "f.yaml")
        #expect(problems.map(\.description) == [
            "f.yaml:2: http.listn: unknown key (did you mean 'listen'?)",
            "f.yaml:12: proxy.max_targets: expected a whole number of at least 2, found 'many'",
            "f.yaml:13: proxy.max_message_bytes: expected a size such as 1048576, 512KiB or 64MiB, found a list",
            "f.yaml:21: alerts_typo: unknown section; known keys here: server, proxy, upstream, bridge, http, sampling, report, log, health, alerts, store, otel",
        ])
    }

    @Test func crossKeyRules() {
        var c = WatchConfiguration()
        let problems = c.apply(environment: ["MCPWATCH_HEALTH_DEGRADED_ERROR_RATE": "60"])
        #expect(problems.map(\.key) == ["health.unhealthy_error_rate"])
    }

    @Test(arguments: [("5s", 5.0), ("500ms", 0.5), ("2m", 120), ("1h", 3600), ("1.5", 1.5), ("250us", 0.00025)])
    func durations(text: String, seconds: Double) {
        #expect(ConfigValueParsing.duration(text) == .nanoseconds(Int64(seconds * 1e9)))
    }

    @Test func rejectsBadValues() {
        #expect(ConfigValueParsing.duration("-1s") == nil)
        #expect(ConfigValueParsing.duration("soon") == nil)
        #expect(ConfigValueParsing.byteSize("64MiB") == 64 << 20)
        #expect(ConfigValueParsing.byteSize("9999999999999999999G") == nil)
        #expect(ConfigValueParsing.bool("maybe") == nil)
    }

    @Test func renderShowsEveryKeyAndHidesKeys() {
        var c = WatchConfiguration()
        c.apiKeys = ["secret"]
        let text = c.renderYAML()
        #expect(!text.contains("secret"))
        for setting in ConfigSchema.settings {
            #expect(text.contains(String(setting.key.split(separator: ".")[1]) + ":"))
        }
    }
}

@Suite struct ConfigurationDocsTests {
    /// docs/configuration.md documents every key and its environment variable, so the two cannot drift apart.
    @Test func everyKeyIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/configuration.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for setting in ConfigSchema.settings {
            #expect(text.contains("`\(setting.key)`"), "\(setting.key) is not documented")
            if setting.key != "http.api_keys" {
                #expect(text.contains(setting.environmentName), "\(setting.environmentName) is not documented")
            }
        }
    }
}

import Foundation
