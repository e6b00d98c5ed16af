import ArgumentParser
import Foundation
import Logging
import MCPWatchProxy

/// Options shared by commands that log.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Write mcpwatch's own log here instead of stderr.", valueName: "path"))
    var logFile: String?

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical (got '\(logLevel)')")
        }
    }

    /// Sets up swift-log once, to stderr or the log file; never to stdout, which belongs to the MCP stream.
    func bootstrap(label: String = "mcpwatch") throws -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        if let logFile {
            let factory = try FileLogHandler.open(path: logFile)
            LoggingSystem.bootstrap { label in
                var handler = factory(label)
                handler.logLevel = level
                return handler
            }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        return Logger(label: label)
    }
}
