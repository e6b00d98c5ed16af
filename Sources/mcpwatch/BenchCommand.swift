import ArgumentParser
import Dispatch
import Foundation
import MCPWatchBench
import MCPWatchCore
import MCPWatchProxy
import Synchronization

/// `mcpwatch bench`: load an MCP server over stdio with `tools/call` and measure throughput and latency.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load an MCP server (stdio or Streamable HTTP) with tools/call and measure throughput and latency.",
        discussion: """
            mcpwatch starts COMMAND, does the MCP handshake (initialize, then
            notifications/initialized) and calls one tool (--tool, --args) or a
            weighted mix (--mix) for --duration or --requests, after an optional
            --warmup that is not measured. Calls are pipelined on the one stdio
            connection, with integer ids. Options go before the `--`.

            With --url instead of a command, it talks to a running server over
            the Streamable HTTP transport: one session (Mcp-Session-Id), each call
            its own POST, answered as JSON or as an SSE stream; --concurrency N
            keeps N requests in flight over up to N connections. The session is
            ended with DELETE at the end. A refused connection is a transport
            error; three in a row, with no answer between them, mean the server
            is gone: the run ends there, incomplete.

            Load:
              closed loop (default)  --concurrency N calls always in flight; the
                                     next is sent as soon as one is answered.
                                     Measures what the server sustains.
              open loop              --rate R calls start per second on a fixed
                                     schedule, answered or not. Latency counts
                                     from each call's scheduled start, so a
                                     stall shows in the percentiles (coordinated
                                     omission corrected, as wrk2 does). Beyond
                                     --max-in-flight unanswered calls, calls are
                                     not sent: they count as overload errors.

            Durations: 500ms, 10s, 2m (units us, ms, s, m, h), or a bare number
            of seconds (10), as in every command. --warmup takes a duration
            (2s) or a number of calls (500): there a bare whole number counts
            calls.

            --mix FILE is a JSON list. Tools are chosen by weight, spread evenly
            and in the same order on every run; each tool's args objects are used
            in turn:
              [{"tool": "echo", "weight": 3, "args": [{"text": "a"}, {"text": "b"}]},
               {"tool": "noop"}]

            A progress line goes to stderr once a second when it is a terminal.

            Ctrl-C (SIGINT) stops the run and prints what was measured so far,
            marked incomplete (completed false, failure "interrupted (SIGINT)";
            calls still in flight are left out), with exit status 130. A second
            Ctrl-C exits at once, without results.

            Results: a table on stdout, or with --json one JSON object. Only
            measured calls count; fields that do not apply are left out.
              format            "mcpwatch-bench/1"
              started_at        when the run started, ISO 8601 UTC
              command           the server command
              server            {name, version, protocol_version}, as the
                                server's initialize answer gives them
              tools             the tool, or the mix as "echo×3, noop×1"
              mode              "closed" or "open"
              concurrency       calls kept in flight (closed loop)
              rate              calls started per second (open loop)
              max_in_flight     the cap on unanswered calls (open loop)
              timeout_ms        the per-call timeout
              warmup_calls      calls made during the warmup
              calls             measured calls: ok + all errors
              ok                answered with a result that is not a tool error
              errors            failed calls by kind:
                                  jsonrpc_error  answered with a JSON-RPC error
                                  tool_error     a result with isError true
                                  timeout        no answer within --timeout
                                  transport      lost: the connection broke
                                  overload       not sent: --max-in-flight hit
              elapsed_seconds   from the start of the measured phase to the end
                                of its last call, or of its schedule when that
                                is later (--duration; in an open loop with
                                --requests, the last call's 1/rate interval)
              calls_per_second  answered calls (ok, tool_error, jsonrpc_error)
                                per elapsed second
              latency_us        latency of answered calls in microseconds: min,
                                p50, p90, p99, p99_9, max, mean (HdrHistogram,
                                1 µs to 1 h, 3 significant digits); left out
                                when no call was answered
              latency_ms        the same in milliseconds
              late_responses    answers after their call timed out (ignored)
              unexpected_lines  server output that was not JSON-RPC or answered
                                no call of ours (ignored)
              completed         false when the run ended early
              failure           why it ended early
              error_examples    the first jsonrpc_error and tool_error, as
                                the server worded them (left out without any)
              comparison        with --baseline: baseline_file,
                                max_regression_percent, throughput, p99_us and
                                error_rate_percent (each {baseline, current,
                                change_percent}), regressions and warnings
                                (sentences; empty when none)

            --baseline FILE compares with an earlier --json result. Throughput
            falling, p99 rising (by 20 µs at least), or the share of failed
            calls rising (by 1 point at least), by more than --max-regression
            percent (default 10) is a regression. A baseline in which no call
            succeeded is refused; one made with another mode, concurrency,
            rate or tools is compared with a warning.

            Exit status:
              0    done
              1    the run failed: no MCP session, the server died or closed its
                   pipes mid-run, or (--url) stopped accepting connections
                   (partial results are still printed), or no measured call
                   succeeded
              3    a regression against --baseline
              64   invalid options
              127  the server command could not be started
              130  interrupted by Ctrl-C (SIGINT)

            Examples:
              mcpwatch bench --tool echo --args '{"text":"hi"}' --duration 10s \\
                  -- mcpwatch demo-server
              mcpwatch bench -c 16 --requests 100000 --warmup 2s \\
                  -- mcpwatch bench-server
              mcpwatch bench --rate 2000 --duration 30s --tool get_current_time \\
                  --args '{"timezone":"UTC"}' -- uvx mcp-server-time
              mcpwatch bench --mix mix.json --duration 1m -- python server.py
              mcpwatch bench --json -- mcpwatch bench-server > base.json
              mcpwatch bench --baseline base.json --max-regression 10 \\
                  -- mcpwatch bench-server
              mcpwatch bench -c 16 -- mcpwatch proxy -- mcpwatch bench-server
                  (with the line above without the proxy: the proxy's cost)
            """
    )

    @Option(name: .long, help: ArgumentHelp("The tool to call (default echo).", valueName: "name"))
    var tool: String?

    @Option(name: .long, help: ArgumentHelp("The tool's arguments, a JSON object (default {}).", valueName: "json"))
    var args: String?

    @Option(name: .long, help: ArgumentHelp("A JSON file of tools with weights and arguments, instead of --tool and --args.", valueName: "file"))
    var mix: String?

    @Option(name: [.short, .long], parsing: .unconditional, help: ArgumentHelp("Closed loop: calls kept in flight (default 1).", valueName: "n"))
    var concurrency: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Open loop: calls started per second, on a fixed schedule.", valueName: "calls/s"))
    var rate: Double?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Open loop: unanswered calls beyond which calls count as overload errors (default 1000).", valueName: "n"))
    var maxInFlight: Int?

    @Option(name: [.short, .long], parsing: .unconditional, help: ArgumentHelp("How long to measure: 500ms, 10s, 2m, or a number of seconds (default 10s).", valueName: "duration"))
    var duration: String?

    @Option(name: [.short, .customLong("requests")], parsing: .unconditional, help: ArgumentHelp("How many calls to measure, instead of --duration.", valueName: "n"))
    var requests: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Calls before measuring, not counted: a duration (2s) or a number of calls (500).", valueName: "duration|n"))
    var warmup: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("How long a call may take before it counts as a timeout error (default 30s); also how long the server has to answer initialize (default 60s).", valueName: "duration"))
    var timeout: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("After the run: how long the command has to exit once its input is closed, and again after SIGTERM, before SIGKILL (default 2s). Raise it for a proxy whose last flush to a busy store takes longer.", valueName: "duration"))
    var stopGrace: String?

    @Flag(name: .long, help: "Print the result as one JSON object (fields in the discussion above).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("An earlier --json result to compare with; a regression exits with status 3.", valueName: "file"))
    var baseline: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("With --baseline: the largest fall in calls/s, or rise in p99, allowed, in percent (default 10).", valueName: "pct"))
    var maxRegression: Double?

    @Option(name: .long, help: ArgumentHelp("A Streamable HTTP MCP endpoint to load instead of starting a command, e.g. http://127.0.0.1:8080/mcp.", valueName: "url"))
    var url: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The server command and its arguments, after `--`.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if mix != nil && (tool != nil || args != nil) { throw ValidationError("give either --mix or --tool/--args, not both") }
        if rate != nil && concurrency != nil { throw ValidationError("give either --concurrency (closed loop) or --rate (open loop), not both") }
        if maxInFlight != nil && rate == nil { throw ValidationError("--max-in-flight applies to the open loop: give --rate too") }
        if duration != nil && requests != nil { throw ValidationError("give either --duration or --requests, not both") }
        if maxRegression != nil && baseline == nil { throw ValidationError("--max-regression needs --baseline FILE") }
        if let maxRegression, !(maxRegression >= 0 && maxRegression.isFinite) { throw ValidationError("--max-regression must be a percentage, 0 or more") }
        if command.isEmpty && url == nil {
            throw ValidationError("give the server command after `--`, e.g. `mcpwatch bench -- mcpwatch bench-server`, or --url of a Streamable HTTP endpoint")
        }
        if !command.isEmpty && url != nil { throw ValidationError("give either --url or a command after `--`, not both") }
        if let url {
            do { try HTTPBenchRunner.check(url: url) } catch { throw ValidationError(error.message) }
        }
        _ = try benchConfiguration()
        _ = try baselineFigures()
    }

    /// The figures of the `--baseline` file, if one was given.
    func baselineFigures() throws -> BaselineComparison.Figures? {
        do {
            return try baseline.map { path throws(WatchError) in
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw WatchError(.invalidBaseline, "cannot read the baseline file \(path)")
                }
                return try BaselineComparison.Figures.parse(data, source: path)
            }
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The run's configuration from the options; every mistake becomes a usage error that says what to write.
    func benchConfiguration() throws -> BenchConfiguration {
        do {
            let toolMix = try mix.map { path throws(WatchError) in try ToolMix.load(path: path) }
                ?? ToolMix.single(tool: tool ?? "echo", argumentsJSON: args ?? "{}")
            let load: BenchConfiguration.Load = if let rate {
                .open(rate: rate, maxInFlight: maxInFlight ?? 1000)
            } else {
                .closed(concurrency: concurrency ?? 1)
            }
            let length: BenchSpan = if let requests {
                .calls(requests)
            } else {
                .duration(try BenchSpan.parseDuration(duration ?? "10s", option: "duration"))
            }
            let callTimeout = try BenchSpan.parseDuration(timeout ?? "30s", option: "timeout")
            return try BenchConfiguration(
                mix: toolMix, load: load, length: length,
                warmup: try warmup.map { text throws(WatchError) in try BenchSpan.parse(text, option: "warmup") },
                timeout: callTimeout, handshakeTimeout: timeout == nil ? Self.defaultHandshakeTimeout : callTimeout)
        } catch let error as WatchError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        if let url { return try await runHTTP(url: url) }
        try runStdio()
    }

    func runHTTP(url: String) async throws {
        let configuration = try benchConfiguration()
        let baselineFigures = try baselineFigures()
        let runner = try HTTPBenchRunner(configuration: configuration, url: url)
        var progress: (@Sendable (BenchProgress) -> Void)?
        if isatty(STDERR_FILENO) == 1 {
            progress = { (report: BenchProgress) in Diagnostics.write("\r\u{1B}[K" + report.line) }
        }
        let interrupts = Interrupts()
        let signals = SignalForwarder(signals: [SIGINT]) { _ in
            if interrupts.next() == 1 { runner.interrupt(Self.interruptedReason) } else { Self.exitAtOnce() }
        }
        defer { signals.cancel() }
        let result: BenchResult
        do {
            result = try await runner.run(progress: progress)
        } catch {
            if progress != nil { Diagnostics.write("\r\u{1B}[K") }
            if interrupts.count > 0 { throw Self.interruptedBeforeTheRun() }
            throw error
        }
        if progress != nil { Diagnostics.write("\r\u{1B}[K") }
        try finish(result, url: url, baselineFigures: baselineFigures, exit: nil)
    }

    func runStdio() throws {
        let configuration = try benchConfiguration()
        let baselineFigures = try baselineFigures()
        let grace = try BenchSpan.parseDuration(stopGrace ?? "2s", option: "stop-grace")

        signal(SIGPIPE, SIG_IGN)
        let process = try ChildProcess.spawn(command)
        let runner = try BenchRunner(configuration: configuration)
        let watcher = ExitWatcher(process: process, runner: runner)
        // The server runs in a process group of its own: a terminal's Ctrl-C reaches only mcpwatch.
        let interrupts = Interrupts()
        let signals = SignalForwarder(signals: [SIGINT]) { _ in
            if interrupts.next() == 1 {
                runner.interrupt(Self.interruptedReason)
            } else {
                process.signal(SIGKILL)
                Self.exitAtOnce()
            }
        }
        defer { signals.cancel() }

        var progress: (@Sendable (BenchProgress) -> Void)?
        if isatty(STDERR_FILENO) == 1 {
            progress = { (report: BenchProgress) in Diagnostics.write("\r\u{1B}[K" + report.line) }
        }
        let outcome = Result { () throws(WatchError) -> BenchResult in
            try runner.runBlocking(requests: process.stdinFD, responses: process.stdoutFD, progress: progress)
        }
        if progress != nil { Diagnostics.write("\r\u{1B}[K") }
        watcher.runEnded()
        let exit = watcher.stop(process, grace: grace)

        var result: BenchResult
        switch outcome {
        case .success(let value):
            result = value
        case .failure(let error):
            if interrupts.count > 0 { throw Self.interruptedBeforeTheRun() }
            throw WatchError(error.code, "\(error.message) (the server \(exit))\(Self.misplacedOptionsHint(command))")
        }
        result.command = command
        try finish(result, url: nil, baselineFigures: baselineFigures, exit: exit)
    }

    /// Prints the result and turns failures and regressions into the exit status.
    func finish(_ result: BenchResult, url: String?, baselineFigures: BaselineComparison.Figures?, exit: ExitWatcher.Stop?) throws {
        var result = result
        if let url { result.url = url }
        if let baselineFigures, let baseline {
            result.comparison = BaselineComparison(
                current: result, baseline: baselineFigures, maxRegressionPercent: maxRegression ?? 10, baselineFile: baseline)
        }
        print(json ? result.json() : result.table)
        if json, let comparison = result.comparison {
            comparison.warnings.forEach(Diagnostics.warning)
        }

        if let failure = result.failure {
            if failure == Self.interruptedReason {
                throw WatchError(.interrupted, "the run ended early: \(failure); the figures cover the calls until then")
            }
            throw WatchError(.runFailed, "the run ended early: \(failure)\(exit.map { " (the server \($0))" } ?? "")")
        }
        if result.ok == 0 {
            let hint = result.errors.toolError + result.errors.jsonrpcError > 0 ? " (are the tool and its arguments right?)" : ""
            throw WatchError(.runFailed, "no call succeeded: all \(result.errors.total) failed, see the errors by kind\(hint)")
        }
        if let comparison = result.comparison, comparison.isRegression {
            if json { Diagnostics.write(comparison.regressions.map { "mcpwatch bench: REGRESSION: \($0)\n" }.joined()) }
            throw ExitCode(ExitStatus.regression)
        }
    }

    /// The `failure` of a run stopped by Ctrl-C.
    static let interruptedReason = "interrupted (SIGINT)"

    /// A second Ctrl-C: no waiting for anything.
    @Sendable static func exitAtOnce() -> Never {
        Diagnostics.write("\nmcpwatch bench: interrupted again: exiting without results\n")
        _exit(ExitStatus.interrupted)
    }

    static func interruptedBeforeTheRun() -> WatchError {
        WatchError(.interrupted, "interrupted (SIGINT) before the MCP handshake was done: nothing was measured")
    }

    /// How long the server has to answer `initialize` without --timeout: it may be starting up (`uvx` may first
    /// download it).
    static let defaultHandshakeTimeout = Duration.seconds(60)

    /// Everything after `--` is the server's command line: bench options put there reach the server instead.
    static let ownOptions: Set<String> = ["--tool", "--args", "--mix", "--concurrency", "-c", "--rate", "--max-in-flight", "--duration",
                                          "-d", "--requests", "-r", "--warmup", "--timeout", "--json", "--baseline", "--max-regression", "--url"]

    /// Programs whose own `-c` (and other short options) are common in a server's command line: `bash -c '…'`,
    /// `python3 -c '…'`.
    static let interpreters: Set<String> = ["sh", "bash", "zsh", "dash", "ksh", "mksh", "fish", "csh", "tcsh", "python", "python3", "python2",
                                            "pypy", "pypy3", "node", "nodejs", "deno", "bun", "perl", "ruby", "php", "pwsh", "lua", "tclsh"]

    /// The bench options in the server's command line. The short ones (`-c`, `-d`, `-r`) are common in other
    /// programs, so they count only when the program is not an interpreter and their value reads as bench's would
    /// (`-c 16`, `-d 10s`, `-r 500`).
    static func misplacedOptions(_ command: [String]) -> [String] {
        guard let program = command.first else { return [] }
        let name = program.split(separator: "/").last.map(String.init) ?? program
        let interpreter = interpreters.contains(name) || (name.hasPrefix("python") && name.dropFirst(6).allSatisfy { $0.isNumber || $0 == "." })
        let arguments = Array(command.dropFirst())
        return arguments.indices.compactMap { i -> String? in
            let parts = arguments[i].split(separator: "=", maxSplits: 1).map(String.init)
            guard let option = parts.first, ownOptions.contains(option) else { return nil }
            guard !option.hasPrefix("--") else { return option }
            guard !interpreter else { return nil }
            guard let value = parts.count > 1 ? parts[1] : (i + 1 < arguments.count ? arguments[i + 1] : nil) else { return nil }
            let fits = option == "-d" ? (try? BenchSpan.parseDuration(value)) != nil : Int(value) != nil
            return fits ? option : nil
        }
    }

    /// A hint when the server's command holds bench options (the server then usually refuses to start).
    static func misplacedOptionsHint(_ command: [String]) -> String {
        let misplaced = misplacedOptions(command)
        guard !misplaced.isEmpty else { return "" }
        return "\nmcpwatch bench: hint: \(misplaced.joined(separator: ", ")) came after `--`, so the server got them; bench options go before it: "
            + "mcpwatch bench --tool echo --args '{...}' --duration 10s -- COMMAND"
    }
}

/// Counts SIGINTs: the first stops the run, the second exits.
final class Interrupts: Sendable {
    private let received = Mutex(0)

    /// Counts one more; returns how many so far.
    func next() -> Int { received.withLock { $0 += 1; return $0 } }

    var count: Int { received.withLock { $0 } }
}
