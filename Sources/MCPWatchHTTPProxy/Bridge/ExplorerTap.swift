import MCPWatchCore

/// The dashboard explorer's side of the bridge: its requests (``InjectedRequests``) go to the server of the newest
/// session, measured on a recorder of their own with origin `dashboard`; their answers are taken out of the server's
/// output here, before any session sees them.
struct ExplorerTap: Sendable {
    let requests: InjectedRequests
    let recorder: TrafficRecorder

    /// Takes a line that answers one of mcpwatch's own requests (measured, handed to its waiter); false for any other.
    func take(_ line: UnsafeRawBufferPointer, inspector: inout MessageInspector) -> Bool {
        guard requests.isInUse, let range = JSONValueLocator.idAndMethod(in: line)?.id,
              line[range].starts(with: requests.prefix.utf8) else { return false }
        let id = recorder.observe(frame: line, direction: .serverToClient, at: recorder.store.clock.now(), inspector: &inspector)
        return requests.claim(id, line: line)
    }
}
