import ArgumentParser
import MCPWatchCore

/// A client on the command line: `claude-desktop`, `claude-code`, `cursor` or `vscode`.
extension ClientKind: ExpressibleByArgument {}
