import ArgumentParser
import MCPWatchCore

/// A duration on the command line, in Core's one syntax: `250ms`, `10s`, `5m`, `1h`, or a bare number of seconds.
///
/// Retroactive: `Duration` is the standard library's and `ExpressibleByArgument` ArgumentParser's; only this
/// executable imports both, so no other module can conform them differently.
extension Duration: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        guard let duration = try? Duration.parse(argument) else { return nil }
        self = duration
    }

    public var defaultValueDescription: String { unitsDescription }
}
