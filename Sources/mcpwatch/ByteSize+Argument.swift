import ArgumentParser
import MCPWatchCore

/// A size on the command line, in Core's one syntax: `1048576`, `64KiB`, `64MiB`, `1GiB`.
extension ByteSize: ExpressibleByArgument {
    public init?(argument: String) {
        guard let size = try? ByteSize(parsing: argument) else { return nil }
        self = size
    }

    public var defaultValueDescription: String { description }
}
