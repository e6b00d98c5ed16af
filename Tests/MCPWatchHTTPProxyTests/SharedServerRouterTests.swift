import MCPWatchCore
import Testing
@testable import MCPWatchHTTPProxy

/// The shared server's routing as a state machine: no child, no sockets, sessions are plain names.
@Suite struct SharedServerRouterTests {
    private typealias Router = SharedServerRouter<String>

    private func routed(_ router: Router) -> Router {
        var router = router
        router.add("a", id: "a")
        router.add("b", id: "b")
        return router
    }

    private func number(_ action: Router.ClientAction) -> Int? {
        if case .forward(let number) = action { return number }
        return nil
    }

    @Test func twoSessionsWithTheSameIdGetDistinctNumbersAndTheirOwnAnswers() {
        var router = routed(Router())
        let first = number(router.request(id: JSONRPCID(1), method: "tools/call", progressToken: nil, message: [], from: "a", sessionID: "a"))
        let second = number(router.request(id: JSONRPCID(1), method: "tools/call", progressToken: nil, message: [], from: "b", sessionID: "b"))
        #expect(first == 1)
        #expect(second == 2)
        #expect(router.pendingCount == 2)
        guard case .deliver(let toB) = router.response(number: 2) else { Issue.record("no route for 2"); return }
        #expect(toB.session == "b")
        #expect(toB.id == JSONRPCID(1))
        guard case .deliver(let toA) = router.response(number: 1) else { Issue.record("no route for 1"); return }
        #expect(toA.session == "a")
        #expect(router.pendingCount == 0)
    }

    @Test func aRequestUnderWayIsFoundByItsNumberUntilItIsAnswered() {
        // A 2026-07-28 subscription's notifications name their subscriptions/listen request by the number the server
        // knows it by; they reach that request's client for as long as the request lasts.
        var router = routed(Router())
        _ = router.request(id: JSONRPCID(1), method: "tools/call", progressToken: nil, message: [], from: "a", sessionID: "a")
        let listen = number(router.request(id: JSONRPCID(1), method: "subscriptions/listen", progressToken: nil, message: [], from: "b", sessionID: "b"))
        #expect(listen == 2)
        #expect(router.pending(number: 2)?.session == "b")
        #expect(router.pending(number: 2)?.id == JSONRPCID(1))
        #expect(router.pending(number: 2)?.session == "b", "looking does not take it")
        #expect(router.pending(number: 9) == nil)
        guard case .deliver = router.response(number: 2) else { Issue.record("no route for 2"); return }
        #expect(router.pending(number: 2) == nil)
        router.remove(sessionID: "a")
        #expect(router.pending(number: 1) == nil)
    }

    @Test func aSecondAnswerIsLateAndANumberNeverIssuedIsUnknown() {
        var router = routed(Router())
        _ = router.request(id: JSONRPCID(7), method: "ping", progressToken: nil, message: [], from: "a", sessionID: "a")
        guard case .deliver = router.response(number: 1) else { Issue.record("no route"); return }
        guard case .late = router.response(number: 1) else { Issue.record("a repeated answer is not late"); return }
        guard case .unknown = router.response(number: 99) else { Issue.record("99 was never issued"); return }
        guard case .unknown = router.response(number: nil) else { Issue.record("a non-number id is unknown"); return }
        guard case .unknown = router.response(number: 0) else { Issue.record("0 is never issued"); return }
    }

    @Test func progressFindsTheRequestThatNamedItsToken() {
        var router = routed(Router())
        _ = router.request(id: JSONRPCID(json: #""x""#), method: "tools/call", progressToken: Array(#""tok""#.utf8), message: [],
                           from: "b", sessionID: "b")
        _ = router.request(id: JSONRPCID(2), method: "tools/call", progressToken: nil, message: [], from: "a", sessionID: "a")
        #expect(router.progress(number: 1)?.session == "b")
        #expect(router.progress(number: 1)?.token == Array(#""tok""#.utf8))
        #expect(router.progress(number: 2) == nil)  // named no token
        _ = router.response(number: 1)
        #expect(router.progress(number: 1) == nil)  // answered: its progress has ended
    }

    @Test func cancellationIsRenumberedForTheSessionThatSentTheRequestOnly() {
        var router = routed(Router())
        _ = router.request(id: JSONRPCID(5), method: "tools/call", progressToken: nil, message: [], from: "a", sessionID: "a")
        #expect(router.notification(method: "notifications/cancelled", cancelledID: JSONRPCID(5), sessionID: "a") == .writeCancellation(number: 1))
        // b never sent 5: passing it on could cancel a's call.
        #expect(router.notification(method: "notifications/cancelled", cancelledID: JSONRPCID(5), sessionID: "b") == .drop)
        #expect(router.notification(method: "notifications/cancelled", cancelledID: nil, sessionID: "b") == .write)
        router.forget([JSONRPCID(5)], of: "a")
        #expect(router.notification(method: "notifications/cancelled", cancelledID: JSONRPCID(5), sessionID: "a") == .drop)
        guard case .late = router.response(number: 1) else { Issue.record("a forgotten request's answer is late"); return }
    }

    @Test func theServerIsInitializedOnceAndLaterSessionsGetItsResultWithTheirOwnId() {
        var router = routed(Router())
        let message = Array(#"{"jsonrpc":"2.0","id":"b1","method":"initialize"}"#.utf8)
        #expect(router.request(id: JSONRPCID(1), method: "initialize", progressToken: nil, message: [], from: "a", sessionID: "a") == .forward(number: 1))
        // b asks while a's is with the server: b waits.
        #expect(router.request(id: JSONRPCID(json: #""b1""#), method: "initialize", progressToken: nil, message: message, from: "b", sessionID: "b") == .drop)
        guard case .deliver(let route) = router.response(number: 1) else { Issue.record("no route"); return }
        #expect(route.isInitialize)
        let answer = Array(#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18"}}"#.utf8)
        let waiters = router.initializeAnswered(line: answer, idRange: 22..<23, succeeded: true)
        #expect(waiters.map(\.session) == ["b"])
        #expect(waiters.first?.message == message)
        // The waiter is sent again: now it gets the kept result with its own id, and nothing goes to the server.
        let again = router.request(id: JSONRPCID(json: #""b1""#), method: "initialize", progressToken: nil, message: message, from: "b", sessionID: "b")
        #expect(again == .answer(Array(#"{"jsonrpc":"2.0","id":"b1","result":{"protocolVersion":"2025-06-18"}}"#.utf8)))
        #expect(router.notification(method: "notifications/initialized", cancelledID: nil, sessionID: "a") == .write)
        #expect(router.notification(method: "notifications/initialized", cancelledID: nil, sessionID: "b") == .drop)
    }

    @Test func aFailedInitializeLetsTheNextSessionTryItsOwn() {
        var router = routed(Router())
        _ = router.request(id: JSONRPCID(1), method: "initialize", progressToken: nil, message: [], from: "a", sessionID: "a")
        _ = router.request(id: JSONRPCID(1), method: "initialize", progressToken: nil, message: [0x7B, 0x7D], from: "b", sessionID: "b")
        _ = router.response(number: 1)
        let waiters = router.initializeAnswered(line: Array(#"{"id":1,"error":{}}"#.utf8), idRange: 6..<7, succeeded: false)
        #expect(waiters.map(\.session) == ["b"])
        #expect(router.request(id: JSONRPCID(1), method: "initialize", progressToken: nil, message: [], from: "b", sessionID: "b") == .forward(number: 2))
    }

    @Test func serverMessagesGoToTheLatestRequesterAndListChangesToEveryone() {
        var router = routed(Router())
        guard case .one(let first) = router.message(everyone: false) else { Issue.record("no session"); return }
        #expect(first == "a")  // nobody asked yet: the first session
        _ = router.request(id: JSONRPCID(1), method: "tools/call", progressToken: nil, message: [], from: "b", sessionID: "b")
        guard case .one(let latest) = router.message(everyone: false) else { Issue.record("no session"); return }
        #expect(latest == "b")
        guard case .every(let all) = router.message(everyone: true) else { Issue.record("not everyone"); return }
        #expect(all == ["a", "b"])
    }

    @Test func aSessionThatEndsTakesItsRequestsAndItsWaitingInitializeWithIt() {
        var router = routed(Router())
        _ = router.request(id: JSONRPCID(1), method: "initialize", progressToken: nil, message: [], from: "a", sessionID: "a")
        _ = router.request(id: JSONRPCID(1), method: "initialize", progressToken: nil, message: [1], from: "b", sessionID: "b")
        _ = router.request(id: JSONRPCID(2), method: "tools/call", progressToken: nil, message: [], from: "b", sessionID: "b")
        router.remove(sessionID: "b")
        guard case .late = router.response(number: 2) else { Issue.record("b's request should be gone"); return }
        #expect(router.allSessions == ["a"])
        guard case .one(let session) = router.message(everyone: false) else { Issue.record("no session"); return }
        #expect(session == "a")
        _ = router.response(number: 1)
        #expect(router.initializeAnswered(line: [], idRange: 0..<0, succeeded: true).isEmpty)
        router.remove(sessionID: "a")
        guard case .every(let none) = router.message(everyone: false) else { Issue.record("a session is left"); return }
        #expect(none.isEmpty)
    }
}
