import ArgumentParser
import Foundation
import Logging
import MCPWatchCore
import MCPWatchProxy

/// Options shared by commands that log.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Write mcpwatch's own log here instead of stderr.", valueName: "path"))
    var logFile: String?

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info (default), notice, warning, error, critical.", valueName: "level"))
    var logLevel: String?

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical (got '\(logLevel)')")
        }
    }

    /// Applies the flags over the configuration.
    func apply(to configuration: inout WatchConfiguration) {
        if let logFile { configuration.logFile = logFile }
        if let logLevel { configuration.logLevel = logLevel }
    }
}

enum LogSetup {
    /// Sets up swift-log once, to stderr or the log file; never to stdout, which belongs to the MCP stream.
    static func bootstrap(_ configuration: WatchConfiguration, label: String = "mcpwatch") throws -> Logger {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        if let logFile = configuration.logFile {
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
