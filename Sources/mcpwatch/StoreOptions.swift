import ArgumentParser
import MCPWatchCore

/// `--store PATH` and `--no-store`: where the local store is, or that there is none.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The local store (SQLite) that keeps history across runs, the call log, servers and instances (default $XDG_STATE_HOME/mcpwatch/mcpwatch.db, else ~/.local/state/mcpwatch/mcpwatch.db).", valueName: "path"))
    var store: String?

    @Flag(name: .long, help: "Keep nothing in the local store.")
    var noStore = false

    func validate() throws {
        if noStore, store != nil { throw ValidationError("--store and --no-store do not go together") }
        if let store, store.isEmpty { throw ValidationError("--store needs a path") }
    }

    func apply(to configuration: inout WatchConfiguration) {
        if let store {
            configuration.store.path = store
            configuration.store.enabled = true
        }
        if noStore { configuration.store.enabled = false }
    }
}
