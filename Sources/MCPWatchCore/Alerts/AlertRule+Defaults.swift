extension AlertRule {
    /// The scope of the tool rules: each tool on its own.
    public static let eachTool = Scope.each(methods: ["tools/call"], targets: ["*"])

    /// The rules that apply unless the configuration overrides or switches them off, one by one (by name).
    ///
    /// Call rules need some calls before they say anything, so that one slow call among three fires nothing;
    /// the cache and queue rules wait for the traffic-control features that feed them, and see no data till then.
    public static let builtIn: [AlertRule] = [
        AlertRule(name: "tool_latency_avg", metric: .latencyAvg, scope: eachTool, window: .seconds(300),
                  warning: 2_000, forSeconds: 60, minimumSamples: 5,
                  summary: "tool {target}: average latency {value} over {window}, above {threshold}"),
        AlertRule(name: "tool_latency_p95", metric: .latencyP95, scope: eachTool, window: .seconds(300),
                  warning: 500, critical: 2_000, forSeconds: 60, minimumSamples: 20,
                  summary: "tool {target}: p95 latency {value} over {window}, above the {severity} threshold {threshold}"),
        AlertRule(name: "tool_success_rate", metric: .successRate, scope: eachTool, window: .seconds(300), comparison: .below,
                  warning: 90, critical: 75, forSeconds: 60, minimumSamples: 10,
                  summary: "tool {target}: success rate {value} over {window}, below the {severity} threshold {threshold}"),
        AlertRule(name: "error_rate", metric: .errorRate, scope: .all, window: .seconds(300),
                  warning: 5, critical: 10, forSeconds: 60, minimumSamples: 20,
                  summary: "error rate {value} of all calls over {window}, above the {severity} threshold {threshold}"),
        AlertRule(name: "server_cpu", metric: .serverCPUPercent, warning: 70, critical: 85, forSeconds: 60,
                  summary: "the MCP server uses {value} CPU, above the {severity} threshold {threshold}"),
        AlertRule(name: "host_memory", metric: .hostMemoryPercent, warning: 80, critical: 90, forSeconds: 60,
                  summary: "host memory is {value} used, above the {severity} threshold {threshold}"),
        AlertRule(name: "disk", metric: .diskUsedPercent, warning: 90, critical: 95, forSeconds: 60,
                  summary: "the data directory's disk is {value} full, above the {severity} threshold {threshold}"),
        AlertRule(name: "cache_hit_rate", metric: .cacheHitRate, comparison: .below, warning: 50, critical: 30, forSeconds: 300,
                  summary: "response cache hit rate {value}, below the {severity} threshold {threshold}"),
        AlertRule(name: "queue_depth", metric: .queueDepth, warning: 100, forSeconds: 30,
                  summary: "{value} calls wait in the queue, above {threshold}"),
    ]
}
