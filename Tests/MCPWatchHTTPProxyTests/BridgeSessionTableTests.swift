import Testing
@testable import MCPWatchHTTPProxy

/// The bridge's table of sessions and servers as a state machine: sessions are plain objects.
@Suite struct BridgeSessionTableTests {
    private final class Session: Sendable {
        let id: String
        init(_ id: String) { self.id = id }
    }

    private typealias Table = BridgeSessionTable<Session>

    @Test func sessionsAreAdmittedUpToTheLimitAndNotOnceShutdownHasBegun() {
        var table = Table(limit: 2)
        let a = Session("a")
        #expect(table.admit(a, id: "a") == .admitted)
        #expect(table.admit(Session("b"), id: "b") == .admitted)
        #expect(table.admit(Session("c"), id: "c") == .full)
        #expect(table.count == 2)
        #expect(table.session(id: "a") === a)
        #expect(table.session(id: "c") == nil)
        #expect(table.remove(id: "b")?.id == "b")
        #expect(table.remove(id: "b") == nil)
        table.stop()
        #expect(table.isStopping)
        #expect(table.admit(Session("d"), id: "d") == .stopping)
        #expect(table.all.map(\.id) == ["a"])
    }

    @Test func theExplorerUsesTheNewestSessionThenAnotherOneThenNone() {
        var table = Table(limit: 10)
        let (a, b) = (Session("a"), Session("b"))
        _ = table.admit(a, id: "a")
        table.opened(a)
        _ = table.admit(b, id: "b")
        #expect(table.newest === a)  // b's server is not running yet
        table.opened(b)
        #expect(table.newest === b)
        table.remove(b, id: "b")
        #expect(table.forget(b) === a)
        table.remove(a, id: "a")
        #expect(table.forget(a) == nil)
    }

    @Test func aSessionIsOnlyRemovedUnderItsOwnId() {
        var table = Table(limit: 10)
        let (first, second) = (Session("x"), Session("x"))
        _ = table.admit(first, id: "x")
        table.remove(second, id: "x")  // not the one under "x": stays
        #expect(table.session(id: "x") === first)
        table.remove(first, id: "x")
        #expect(table.count == 0)
        #expect(table.all.isEmpty)
    }

    @Test func serversAreListedOldestFirst() {
        var table = Table(limit: 10)
        table.serverStarted(pid: 10)
        table.serverStarted(pid: 11)
        table.serverStarted(pid: 12)
        #expect(table.serverExited(pid: 11) == [10, 12])
        #expect(table.serverExited(pid: 12) == [10])
        #expect(table.running == [10])
    }
}
