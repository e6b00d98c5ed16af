/// Which sessions the bridge has open, which one the dashboard's explorer uses, and which servers run, as a state
/// machine with no I/O: ``StdioBridge`` keeps one behind a lock and carries out what it answers.
///
/// A session is admitted up to the limit and not once shutdown has begun. The explorer's requests go to the newest
/// session's server; when that session leaves, to another open one, or nowhere. The server processes are listed
/// oldest first: the newest is the one the system sampler watches.
struct BridgeSessionTable<Session: AnyObject & Sendable>: Sendable {
    /// Whether a new session may open.
    enum Admission: Sendable, Equatable {
        case admitted
        /// `limit` sessions are open.
        case full
        /// Shutdown has begun.
        case stopping
    }

    /// Most sessions open at once.
    let limit: Int
    private var sessions: [String: Session] = [:]
    /// Session ids in the order they opened.
    private var order: [String] = []
    /// The session the explorer's requests go to.
    private(set) var newest: Session?
    private(set) var isStopping = false
    /// Server process ids, oldest first.
    private(set) var running: [Int32] = []

    init(limit: Int) {
        self.limit = limit
    }

    /// Sessions open now.
    var count: Int { sessions.count }

    /// Every open session, oldest first.
    var all: [Session] { order.compactMap { sessions[$0] } }

    /// The open session with this id.
    func session(id: String) -> Session? { sessions[id] }

    /// Opens a session if the limit and the shutdown allow; it becomes the explorer's once its server runs
    /// (``opened(_:)``).
    mutating func admit(_ session: Session, id: String) -> Admission {
        guard !isStopping else { return .stopping }
        guard sessions.count < limit else { return .full }
        sessions[id] = session
        order.append(id)
        return .admitted
    }

    /// The session's server runs: the explorer uses it from now on.
    mutating func opened(_ session: Session) { newest = session }

    /// Takes the session with this id out of the table (DELETE).
    mutating func remove(id: String) -> Session? {
        guard let session = sessions.removeValue(forKey: id) else { return nil }
        order.removeAll { $0 == id }
        return session
    }

    /// Takes `session` out of the table, unless another session holds its id by now.
    mutating func remove(_ session: Session, id: String) {
        guard sessions[id] === session else { return }
        _ = remove(id: id)
    }

    /// A session has left the table: the explorer moves to another open one (the oldest), or has none.
    /// - Returns: the explorer's session now (nil: none, so its requests have nowhere to go).
    mutating func forget(_ session: Session) -> Session? {
        if newest === session { newest = all.first }
        return newest
    }

    /// Shutdown has begun: no session opens from now on.
    mutating func stop() { isStopping = true }

    /// A server process started.
    mutating func serverStarted(pid: Int32) { running.append(pid) }

    /// A server process exited.
    /// - Returns: the servers still running, oldest first.
    mutating func serverExited(pid: Int32) -> [Int32] {
        running.removeAll { $0 == pid }
        return running
    }
}
