import Foundation
import MCPWatchCore
import Synchronization

/// The store as the HTTP side sees it: the writer's status (for `/api/health` and `/metrics`) and a reader opened on
/// first use (for `/api/calls` and the fleet's history), so that a store that cannot be opened costs nothing until
/// someone asks, and then a clear answer.
public final class StoreHistory: Sendable {
    /// The store's file.
    public let path: String
    /// The retention in force.
    public let settings: StoreSettings
    /// How writing is going (nil when this process does not write: `mcpwatch dashboard`).
    public let status: StoreStatus?
    private let opened = Mutex<StoreReader?>(nil)

    /// History over the store at `settings.resolvedPath`.
    public init(settings: StoreSettings, status: StoreStatus?) {
        self.settings = settings
        path = settings.resolvedPath
        self.status = status
    }

    /// The reader, opened on first use (and again after a failure).
    /// - Throws: ``WatchError`` when there is no store yet or the file is not one.
    public func reader() throws -> StoreReader {
        if let reader = opened.withLock({ $0 }) { return reader }
        let reader = try StoreReader(path: path, settings: settings)
        opened.withLock { $0 = reader }
        return reader
    }
}
