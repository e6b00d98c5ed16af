import Foundation
import Testing
@testable import MCPWatchCore

@Suite struct TrafficConfigurationTests {
    /// A YAML-like tree: (key, value) pairs where a value is a scalar string, a nested list of pairs, or nil.
    indirect enum Tree {
        case value(String)
        case map([(String, Tree)])
    }

    func node(_ tree: Tree, line: inout Int) -> ConfigNode {
        line += 1
        switch tree {
        case .value(let text): return .scalar(text, line: line)
        case .map(let entries):
            let start = line
            return .mapping(entries.map { key, value in
                let keyLine = line + 1
                return ConfigEntry(key: key, line: keyLine, value: node(value, line: &line))
            }, line: start)
        }
    }

    func file(_ traffic: Tree) -> ConfigNode {
        var line = 0
        return .mapping([ConfigEntry(key: "traffic", line: 1, value: node(traffic, line: &line))], line: 1)
    }

    @Test func noTrafficSectionMeansNoPolicy() {
        var c = WatchConfiguration()
        #expect(c.apply(file: .mapping([ConfigEntry(key: "proxy", line: 1, value: .mapping([], line: 1))], line: 1), source: "f.yaml").isEmpty)
        #expect(c.apply(environment: ["MCPWATCH_HTTP_LISTEN": "127.0.0.1:1"]).isEmpty)
        #expect(c.traffic == nil)
        #expect(!c.renderYAML().contains("traffic"))
        var empty = WatchConfiguration()
        #expect(empty.apply(file: .mapping([ConfigEntry(key: "traffic", line: 1, value: .null(line: 1))], line: 1), source: "f.yaml").isEmpty)
        #expect(empty.traffic == nil)
    }

    @Test func everySettingIsRead() throws {
        var c = WatchConfiguration()
        let problems = c.apply(file: file(.map([
            ("max_concurrency", .value("4")), ("priority", .value("low")), ("timeout", .value("30s")),
            ("queue", .map([("max_size", .value("50")), ("timeout", .value("10s"))])),
            ("server_requests", .map([("max_concurrency", .value("1"))])),
            ("cache", .map([("entries", .value("500")), ("bytes", .value("8MiB")), ("ttl", .value("1m")), ("unhinted_scope", .value("public")),
                            ("tools", .map([("get_weather", .value("5m"))]))])),
            ("breaker", .map([("failures", .value("5")), ("error_rate", .value("50")), ("min_calls", .value("20")), ("window", .value("1m")),
                              ("cool_down", .value("30s")), ("probes", .value("2"))])),
            ("rate_limits", .map([
                ("server", .map([("rate", .value("50")), ("burst", .value("100"))])),
                ("client", .map([("rate", .value("600/m")), ("by", .value("api_key"))])),
                ("tools", .map([("search", .map([("rate", .value("1/s")), ("burst", .value("5"))]))])),
            ])),
            ("tools", .map([("slow_tool", .map([("max_concurrency", .value("1")), ("priority", .value("high")), ("timeout", .value("2m")),
                                                 ("queue", .map([("timeout", .value("1m"))])), ("breaker", .map([("failures", .value("3"))]))]))])),
            ("methods", .map([("resources/read", .map([("priority", .value("high"))]))])),
        ])), source: "f.yaml")
        #expect(problems.isEmpty, "\(problems)")
        let p = try #require(c.traffic)
        #expect(p.maxConcurrency == 4 && p.priority == .low && p.timeout == .seconds(30))
        #expect(p.queueMaxSize == 50 && p.queueTimeout == .seconds(10))
        #expect(p.cache?.maxEntries == 500 && p.cache?.maxBytes == 8 << 20 && p.cache?.ttl == .seconds(60) && p.cache?.unhintedScope == .public)
        #expect(p.cache?.tools == ["get_weather": .seconds(300)])
        #expect(p.breaker?.consecutiveFailures == 5 && p.breaker?.errorRatePercent == 50 && p.breaker?.minimumCalls == 20 && p.breaker?.probes == 2)
        #expect(p.rateLimits.server == .init(rate: 50, burst: 100))
        #expect(p.rateLimits.client == .init(rate: 10, burst: 10) && p.rateLimits.clientKey == .apiKey)
        #expect(p.rateLimits.tools["search"] == .init(rate: 1, burst: 5))
        #expect(p.tools["slow_tool"]?.maxConcurrency == 1 && p.tools["slow_tool"]?.queueTimeout == .seconds(60) && p.tools["slow_tool"]?.breaker?.consecutiveFailures == 3)

        let slow = p.rules(method: "tools/call", tool: "slow_tool")
        #expect(slow == .init(group: "tool:slow_tool", priority: .high, timeout: .seconds(120), queueTimeout: .seconds(60), breaker: "tool:slow_tool", cacheTTL: nil, cacheable: false))
        #expect(p.rules(method: "tools/call", tool: "get_weather").cacheTTL == .seconds(300))
        #expect(p.rules(method: "tools/call", tool: "other") == .init(group: nil, priority: .low, timeout: .seconds(30), queueTimeout: .seconds(10), breaker: nil, cacheTTL: nil, cacheable: false))
        #expect(p.rules(method: "resources/read", tool: nil).priority == .high)
        #expect(p.rules(method: "tools/list", tool: nil).cacheable)
        #expect(p.admissionLimits == AdmissionLimits(maxConcurrency: 4, groupLimits: ["tool:slow_tool": 1], maxQueued: 50, queueTimeout: .seconds(10)))
        #expect(Set(p.breakers.keys) == ["server", "tool:slow_tool"])
        #expect(p.serverRequestLimits == AdmissionLimits(maxConcurrency: 1, maxQueued: 50, queueTimeout: .seconds(10)))

        // config check prints it, and what it prints reads back to the same policy.
        let yaml = c.renderYAML()
        #expect(yaml.contains("traffic:\n  max_concurrency: 4\n  priority: low\n"))
        #expect(yaml.contains("  queue:\n    max_size: 50\n    timeout: 10s\n"))
        #expect(yaml.contains("  cache:\n    entries: 500\n    bytes: 8MiB\n"))
        #expect(yaml.contains("    \"slow_tool\":\n      max_concurrency: 1\n"))
    }

    @Test func badValuesNameTheKeyAndWhy() {
        var c = WatchConfiguration()
        let problems = c.apply(file: file(.map([
            ("max_concurrency", .value("-3")),
            ("queue", .map([("max_size", .value("lots")), ("timout", .value("1s"))])),
            ("cache", .map([("entries", .value("0")), ("bytes", .value("0"))])),
            ("tools", .map([("search", .map([("priority", .value("urgent")), ("max_concurency", .value("2"))]))])),
            ("rate_limits", .map([("tools", .map([("search", .map([("rate", .value("0"))]))]))])),
            ("breakr", .map([])),
        ])), source: "f.yaml")
        let text = problems.map(\.description)
        #expect(text.contains { $0.hasSuffix("traffic.max_concurrency: must not be negative (found -3); the smallest is 1") }, "\(text)")
        #expect(text.contains { $0.hasSuffix("traffic.queue.max_size: expected a whole number of at least 0, found 'lots'") }, "\(text)")
        #expect(text.contains { $0.hasSuffix("traffic.queue.timout: unknown key (did you mean 'timeout'?)") }, "\(text)")
        #expect(text.contains { $0.hasSuffix("traffic.cache.entries: " + TrafficPolicy.cacheZero) }, "\(text)")
        #expect(text.contains { $0.hasSuffix("traffic.cache.bytes: " + TrafficPolicy.cacheZero) }, "\(text)")
        #expect(text.contains { $0.hasSuffix("traffic.tools.search.priority: unknown priority 'urgent': expected high, normal or low") }, "\(text)")
        #expect(text.contains { $0.hasSuffix("traffic.tools.search.max_concurency: unknown key (did you mean 'max_concurrency'?)") }, "\(text)")
        #expect(text.contains { $0.contains("traffic.rate_limits.tools.search.rate: must be more than 0") }, "\(text)")
        #expect(text.contains { $0.hasSuffix("traffic.breakr: unknown key (did you mean 'breaker'?)") }, "\(text)")
        // Each problem points at its line in the file.
        #expect(problems.allSatisfy { $0.source.hasPrefix("f.yaml:") && $0.source != "f.yaml:0" }, "\(problems.map(\.source))")
    }

    @Test func crossKeyRules() {
        var c = WatchConfiguration()
        let problems = c.apply(file: file(.map([
            ("queue", .map([("timeout", .value("5s"))])),
            ("breaker", .map([("cool_down", .value("10s"))])),
        ])), source: "f.yaml")
        #expect(Set(problems.map(\.key)) == ["traffic.queue", "traffic.breaker"], "\(problems)")
        #expect(problems.first { $0.key == "traffic.queue" }?.message.contains("max_concurrency") == true)
        // Reported once: the environment, which sets nothing of traffic's, does not repeat them.
        #expect(c.apply(environment: ["MCPWATCH_HTTP_LISTEN": "127.0.0.1:1"]).isEmpty)
        // A variable alone can break a rule too, and is named as the source.
        var env = WatchConfiguration()
        #expect(env.apply(environment: ["MCPWATCH_TRAFFIC_QUEUE_TIMEOUT": "5s"]).map(\.description)
                == ["environment: traffic.queue: has no effect without max_concurrency (server-wide, or for a tool or method): calls wait only for a free slot"])
    }

    @Test func environmentVariablesSwitchItOn() throws {
        var c = WatchConfiguration()
        #expect(c.apply(environment: ["MCPWATCH_TRAFFIC_MAX_CONCURRENCY": "2", "MCPWATCH_TRAFFIC_QUEUE_MAX_SIZE": "10",
                                      "MCPWATCH_TRAFFIC_CACHE_TTL": "30s", "MCPWATCH_TRAFFIC_RATE_LIMITS_SERVER_RATE": "5/s"]).isEmpty)
        let p = try #require(c.traffic)
        #expect(p.maxConcurrency == 2 && p.queueMaxSize == 10 && p.cache?.ttl == .seconds(30) && p.rateLimits.server == .init(rate: 5, burst: 5))
        var bad = WatchConfiguration()
        let problems = bad.apply(environment: ["MCPWATCH_TRAFFIC_PRIORITY": "urgent"])
        #expect(problems.map(\.description) == ["MCPWATCH_TRAFFIC_PRIORITY: traffic.priority: unknown priority 'urgent': expected high, normal or low"])
        #expect(bad.traffic == nil)
    }

    @Test func anEmptyCacheOrBreakerSectionSwitchesItOn() throws {
        var c = WatchConfiguration()
        let problems = c.apply(file: file(.map([("cache", .map([])), ("breaker", .map([]))])), source: "f.yaml")
        #expect(try #require(c.traffic).cache == TrafficPolicy.CacheSettings())
        #expect(problems.map(\.key) == ["traffic.breaker"])
    }

    @Test func methodLimitsMakeAGroupAndToolsWinOverMethods() throws {
        var c = WatchConfiguration()
        let problems = c.apply(file: file(.map([
            ("methods", .map([("tools/call", .map([("max_concurrency", .value("3")), ("priority", .value("low"))])),
                              ("ping", .map([("max_concurrency", .value("1"))]))])),
            ("tools", .map([("urgent", .map([("priority", .value("high"))]))])),
        ])), source: "f.yaml")
        #expect(problems.map(\.key) == ["traffic.methods.ping.max_concurrency"])
        let p = try #require(c.traffic)
        #expect(p.rules(method: "tools/call", tool: "other").group == "method:tools/call")
        #expect(p.rules(method: "tools/call", tool: "other").priority == .low)
        #expect(p.rules(method: "tools/call", tool: "urgent").priority == .high)
        #expect(p.rules(method: "tools/call", tool: "urgent").group == "method:tools/call")
        #expect(p.rules(method: "resources/read", tool: nil).group == nil)
        #expect(p.rules(method: "tools/list", tool: nil).cacheable == false)  // no cache configured
        #expect(p.admissionLimits?.maxConcurrency == nil && p.admissionLimits?.groupLimits["method:tools/call"] == 3)
    }

    @Test func aMisspelledSectionSuggestsTraffic() {
        var c = WatchConfiguration()
        let problems = c.apply(file: .mapping([ConfigEntry(key: "trafic", line: 3, value: .mapping([], line: 3))], line: 1), source: "f.yaml")
        #expect(problems.map(\.description) == ["f.yaml:3: trafic: unknown section (did you mean 'traffic'?)"])
    }

    @Test func rates() throws {
        #expect(try TrafficPolicy.rate("600/m").get() == 10)
        #expect(try TrafficPolicy.rate("36/h").get() == 0.01)
        #expect(try TrafficPolicy.rate("2.5").get() == 2.5)
        #expect((try? TrafficPolicy.rate("-1/s").get()) == nil)
        #expect((try? TrafficPolicy.rate("5/d").get()) == nil)
    }
}

@Suite struct TrafficDocsTests {
    /// docs/traffic.md documents every setting and its environment variable.
    @Test func everySettingIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/traffic.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for variable in TrafficPolicy.environmentVariables {
            #expect(text.contains("`\(variable.key)`"), "\(variable.key) is not documented")
            #expect(text.contains(variable.name), "\(variable.name) is not documented")
        }
        for key in TrafficPolicy.overrideFields.map(\.path) + ["cache.tools", "rate_limits.tools", "tools", "methods"] {
            #expect(text.contains(key), "\(key) is not documented")
        }
        for outcome in TrafficOutcome.allCases { #expect(text.contains("`\(outcome.rawValue)`")) }
    }
}
