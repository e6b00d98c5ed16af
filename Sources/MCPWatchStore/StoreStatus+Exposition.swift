import MCPWatchCore

extension PrometheusExposition {
    /// The store's counters: flushes, failed flushes, rows given up, call-log rows written and left out, and whether
    /// it is writing now.
    public mutating func writeStore(_ status: StoreStatus.Snapshot, server: String) {
        let labels = [("mcp_server_name", server)]
        family("mcpwatch_store_up", type: "gauge", help: "1 while the local store is being written, 0 while it cannot be (see /api/health for why)")
        sample("mcpwatch_store_up", labels, status.problem == nil ? UInt64(1) : 0)
        family("mcpwatch_store_flushes_total", type: "counter", help: "flushes written to the local store")
        sample("mcpwatch_store_flushes_total", labels, status.flushes)
        family("mcpwatch_store_flush_failures_total", type: "counter", help: "flushes that could not write (disk full, read-only, locked, not a store); their rows wait for the next")
        sample("mcpwatch_store_flush_failures_total", labels, status.failedFlushes)
        family("mcpwatch_store_dropped_rows_total", type: "counter", help: "call-log rows given up while the store could not be written")
        sample("mcpwatch_store_dropped_rows_total", labels, status.droppedRows)
        family("mcpwatch_store_calls_logged_total", type: "counter", help: "call-log rows written")
        sample("mcpwatch_store_calls_logged_total", labels, status.callsLogged)
        family("mcpwatch_store_calls_sampled_out_total", type: "counter", help: "successful calls the call log left out (over the per-target, per-second bound); the figures count them")
        sample("mcpwatch_store_calls_sampled_out_total", labels, status.callLogSampledOut)
        family("mcpwatch_store_calls_dropped_total", type: "counter", help: "calls the call log dropped because its buffer was full between two flushes; the figures count them")
        sample("mcpwatch_store_calls_dropped_total", labels, status.callLogDropped)
        family("mcpwatch_store_last_flush_seconds", type: "gauge", help: "the writer's time for the last flush", unit: "seconds")
        sample("mcpwatch_store_last_flush_seconds", labels, status.lastFlushSeconds)
    }
}
