import ArgumentParser
import Foundation
import MCPWatchCore

extension MCPWatchCommand {
    /// Parses and runs the command; the one place where an error becomes a message and an exit status.
    ///
    /// A ``WatchError`` is printed as `mcpwatch: error: MESSAGE` and exits with ``ExitStatus/of(_:)`` of its code;
    /// everything else (usage errors, `ExitCode`, `--help`) is ArgumentParser's.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as WatchError {
            Diagnostics.error(error.message)
            exit(withError: ExitCode(ExitStatus.of(error.code)))
        } catch {
            exit(withError: error)
        }
    }
}
