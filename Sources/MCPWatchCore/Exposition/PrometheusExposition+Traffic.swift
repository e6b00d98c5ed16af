extension PrometheusExposition {
    /// What traffic control did, kept apart from the server's own figures (`mcp_server_operation_duration_seconds`
    /// and `mcpwatch_calls_total` count only what reached the server): the queue, its waits, the answers mcpwatch
    /// gave in the server's place by outcome, the latency the client saw, the response cache and the breakers.
    ///
    /// Written only when traffic control is configured: without a `traffic:` section there is no new series.
    /// - Parameters:
    ///   - snapshot: ``TrafficStats/snapshot()``.
    ///   - server: the `server` label value.
    ///   - transport: the `network_transport` label value.
    public mutating func writeTraffic(_ snapshot: TrafficStats.Snapshot, server: String, transport: String = "pipe") {
        let common = [("server", server), ("network_transport", transport)]
        let targets = snapshot.targets.sorted { ($0.key.method, $0.key.target ?? "") < ($1.key.method, $1.key.target ?? "") }
        let labels = targets.map { common + Self.targetLabels($0.key) }

        family("mcpwatch_traffic_queue_depth", type: "gauge", help: "Calls waiting in traffic control's queue for a slot at the server.")
        sample("mcpwatch_traffic_queue_depth", common, UInt64(max(0, snapshot.queueDepth)))
        family("mcpwatch_traffic_queue_depth_peak", type: "gauge", help: "The most calls that have waited in the queue at once since the start.")
        sample("mcpwatch_traffic_queue_depth_peak", common, UInt64(max(0, snapshot.queueDepthPeak)))
        family("mcpwatch_traffic_in_flight", type: "gauge", help: "Calls traffic control let through to the server and not yet seen answered.")
        sample("mcpwatch_traffic_in_flight", common, UInt64(max(0, snapshot.inFlight)))

        family("mcpwatch_traffic_queue_wait_seconds", type: "histogram",
               help: "How long calls waited for a slot at the server (zero when one was free), those let through and those queued out.", unit: "seconds")
        for (i, (_, figures)) in targets.enumerated() where figures.queueWait.count > 0 {
            trafficHistogram("mcpwatch_traffic_queue_wait_seconds", labels[i], figures.queueWait)
        }
        family("mcpwatch_traffic_answers_total", type: "counter",
               help: "Answers mcpwatch gave instead of the server, by outcome (cached, queued_out, rejected, timed_out, circuit_open, rate_limited); none of them counts in the server's own figures.")
        for (i, (_, figures)) in targets.enumerated() {
            for outcome in TrafficOutcome.allCases {
                sample("mcpwatch_traffic_answers_total", labels[i] + [("outcome", outcome.rawValue)], figures.answered[outcome] ?? 0)
            }
        }
        family("mcpwatch_traffic_admitted_total", type: "counter", help: "Calls traffic control let through to the server.")
        for (i, (_, figures)) in targets.enumerated() {
            sample("mcpwatch_traffic_admitted_total", labels[i], figures.admitted)
        }
        family("mcpwatch_traffic_client_duration_seconds", type: "histogram",
               help: "The latency the client saw, from the request's arrival to its answer: the queue's wait and mcpwatch's own answers included (compare mcp_server_operation_duration_seconds, the server's).", unit: "seconds")
        for (i, (_, figures)) in targets.enumerated() where figures.clientLatency.count > 0 {
            trafficHistogram("mcpwatch_traffic_client_duration_seconds", labels[i], figures.clientLatency)
        }
        family("mcpwatch_traffic_late_answers_dropped_total", type: "counter",
               help: "Answers from the server that came after mcpwatch had answered the call with a timeout, and were dropped.")
        for (i, (_, figures)) in targets.enumerated() {
            sample("mcpwatch_traffic_late_answers_dropped_total", labels[i], figures.lateAnswersDropped)
        }

        let cache = snapshot.cache
        for (name, help, value) in [
            ("mcpwatch_traffic_cache_hits_total", "Lookups answered from the response cache.", cache.hits),
            ("mcpwatch_traffic_cache_misses_total", "Lookups of the response cache that found nothing fresh.", cache.misses),
            ("mcpwatch_traffic_cache_stores_total", "Responses stored in the response cache.", cache.stores),
            ("mcpwatch_traffic_cache_evictions_total", "Cache entries dropped to stay within the entry and byte bounds.", cache.evictions),
            ("mcpwatch_traffic_cache_invalidations_total", "Cache entries dropped by list_changed and resources/updated notifications.", cache.invalidations),
            ("mcpwatch_traffic_cache_expirations_total", "Cache entries dropped because they were no longer fresh.", cache.expirations),
        ] {
            family(name, type: "counter", help: help)
            sample(name, common, value)
        }
        family("mcpwatch_traffic_cache_entries", type: "gauge", help: "Entries held in the response cache.")
        sample("mcpwatch_traffic_cache_entries", common, UInt64(max(0, cache.entries)))
        family("mcpwatch_traffic_cache_bytes", type: "gauge", help: "Bytes held in the response cache (responses and keys).", unit: "bytes")
        sample("mcpwatch_traffic_cache_bytes", common, UInt64(max(0, cache.bytes)))

        let breakers = snapshot.breakers.sorted { $0.key < $1.key }
        family("mcpwatch_traffic_breaker_state", type: "gauge",
               help: "1 for the state each circuit breaker is in (closed, open, half_open), 0 for the others; breaker is server, tool:NAME or method:NAME.")
        for (breaker, state) in breakers {
            for candidate in BreakerState.allCases {
                sample("mcpwatch_traffic_breaker_state", common + [("breaker", breaker), ("state", candidate.rawValue)], candidate == state ? 1.0 : 0.0)
            }
        }
        family("mcpwatch_traffic_breaker_transitions_total", type: "counter", help: "Changes of each circuit breaker's state, by the state it went to.")
        for (breaker, _) in breakers {
            let counts = snapshot.transitionCounts[breaker] ?? [:]
            for candidate in BreakerState.allCases {
                sample("mcpwatch_traffic_breaker_transitions_total", common + [("breaker", breaker), ("to", candidate.rawValue)], counts[candidate] ?? 0)
            }
        }
    }

    private mutating func trafficHistogram(_ name: String, _ labels: [(String, String)], _ buckets: DurationBuckets) {
        let cumulative = buckets.cumulative
        for (i, count) in cumulative.enumerated() {
            let le = i < DurationBuckets.boundsMicros.count ? Self.format(Double(DurationBuckets.boundsMicros[i]) / 1e6) : "+Inf"
            sample(name + "_bucket", labels + [("le", le)], count)
        }
        sample(name + "_sum", labels, Double(buckets.sumNanos) / 1e9)
        sample(name + "_count", labels, cumulative[cumulative.count - 1])
    }
}
