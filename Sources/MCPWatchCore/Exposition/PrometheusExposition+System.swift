extension PrometheusExposition {
    /// Writes the standard `process_*` metrics for mcpwatch, the same under `mcp_server_process_*` for the
    /// monitored server's process tree, and `mcpwatch_host_*` for the machine.
    public mutating func writeSystem(_ system: SystemReport, server: String) {
        writeProcess(system.mcpwatch, prefix: "process", labels: [], what: "mcpwatch")
        if let process = system.server {
            writeProcess(process, prefix: "mcp_server_process", labels: [("server", server)], what: "the monitored MCP server and its descendants")
            family("mcp_server_process_up", type: "gauge", help: "1 while the monitored MCP server process runs.")
            sample("mcp_server_process_up", [("server", server)], process.alive ? 1.0 : 0.0)
            family("mcp_server_processes", type: "gauge", help: "Processes in the monitored server's tree.")
            sample("mcp_server_processes", [("server", server)], Double(process.processCount))
        }
        let host = system.host
        family("mcpwatch_host_cpu_usage_ratio", type: "gauge", help: "Host CPU use over the last sampling interval, 0 to 1.")
        sample("mcpwatch_host_cpu_usage_ratio", [], host.cpuPercent.current / 100)
        family("mcpwatch_host_cpus", type: "gauge", help: "Online CPUs.")
        sample("mcpwatch_host_cpus", [], Double(host.cpuCount))
        family("mcpwatch_host_memory_total_bytes", type: "gauge", help: "Host memory.", unit: "bytes")
        sample("mcpwatch_host_memory_total_bytes", [], Double(host.memoryTotalBytes))
        family("mcpwatch_host_memory_available_bytes", type: "gauge", help: "Host memory available.", unit: "bytes")
        sample("mcpwatch_host_memory_available_bytes", [], Double(host.memoryAvailableBytes))
        family("mcpwatch_host_load_average", type: "gauge", help: "Host load average over 1, 5 and 15 minutes.")
        sample("mcpwatch_host_load_average", [("window", "1m")], host.load1)
        sample("mcpwatch_host_load_average", [("window", "5m")], host.load5)
        sample("mcpwatch_host_load_average", [("window", "15m")], host.load15)
        family("mcpwatch_host_disk_total_bytes", type: "gauge", help: "Size of the filesystem holding the data directory.", unit: "bytes")
        sample("mcpwatch_host_disk_total_bytes", [("path", host.diskPath)], Double(host.diskTotalBytes))
        family("mcpwatch_host_disk_used_bytes", type: "gauge", help: "Bytes used on the filesystem holding the data directory.", unit: "bytes")
        sample("mcpwatch_host_disk_used_bytes", [("path", host.diskPath)], Double(host.diskUsedBytes))
        if let open = host.openFiles {
            family("mcpwatch_host_open_files", type: "gauge", help: "File handles open on the whole machine.")
            sample("mcpwatch_host_open_files", [], Double(open))
        }
    }

    mutating func writeProcess(_ p: ProcessReport, prefix: String, labels: [(String, String)], what: String) {
        family("\(prefix)_cpu_seconds_total", type: "counter", help: "CPU time of \(what), user and system.", unit: "seconds")
        sample("\(prefix)_cpu_seconds_total", labels, p.cpuSecondsTotal)
        family("\(prefix)_resident_memory_bytes", type: "gauge", help: "Resident memory of \(what).", unit: "bytes")
        sample("\(prefix)_resident_memory_bytes", labels, p.residentBytes.current)
        family("\(prefix)_virtual_memory_bytes", type: "gauge", help: "Virtual memory of \(what).", unit: "bytes")
        sample("\(prefix)_virtual_memory_bytes", labels, p.virtualBytes.current)
        family("\(prefix)_open_fds", type: "gauge", help: "Open file descriptors of \(what).")
        sample("\(prefix)_open_fds", labels, p.openFds.current)
        if let max = p.maxFds {
            family("\(prefix)_max_fds", type: "gauge", help: "Open-file limit of \(what).")
            sample("\(prefix)_max_fds", labels, Double(max))
        }
        family("\(prefix)_start_time_seconds", type: "gauge", help: "Start time of \(what), in Unix seconds.", unit: "seconds")
        sample("\(prefix)_start_time_seconds", labels, p.startTimeSeconds)
        family("\(prefix)_threads", type: "gauge", help: "Threads of \(what).")
        sample("\(prefix)_threads", labels, p.threads.current)
        family("\(prefix)_tcp_connections", type: "gauge", help: "TCP connections (not listening) of \(what).")
        sample("\(prefix)_tcp_connections", labels, p.tcpConnections.current)
        family("\(prefix)_io_read_bytes_total", type: "counter", help: "Bytes \(what) read from storage.", unit: "bytes")
        sample("\(prefix)_io_read_bytes_total", labels, Double(p.readBytes))
        family("\(prefix)_io_written_bytes_total", type: "counter", help: "Bytes \(what) wrote to storage.", unit: "bytes")
        sample("\(prefix)_io_written_bytes_total", labels, Double(p.writtenBytes))
        family("\(prefix)_cpu_usage_ratio", type: "gauge", help: "CPU use of \(what) over the last sampling interval, in cores.")
        sample("\(prefix)_cpu_usage_ratio", labels, p.cpuPercent.current / 100)
    }
}
