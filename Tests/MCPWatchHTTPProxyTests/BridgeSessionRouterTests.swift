import MCPWatchCore
import Testing
@testable import MCPWatchHTTPProxy

/// A bridge session's routing as a state machine: POSTs are plain objects, time is passed in.
@Suite struct BridgeSessionRouterTests {
    private final class Post: Sendable {
        let name: String
        init(_ name: String) { self.name = name }
    }

    private typealias Router = BridgeSessionRouter<Post>
    private let start = ContinuousClock.now

    @Test func answersGoToThePostThatCarriedTheirRequestOnce() {
        var router = Router(now: start)
        let batch = Post("batch")
        let registered = router.register(batch, streams: false, requests: [(JSONRPCID(1), nil), (JSONRPCID(json: #""b""#), nil)])
        #expect(registered)
        #expect(router.isOpen(batch))
        #expect(router.take(JSONRPCID(1))?.name == "batch")
        #expect(router.take(JSONRPCID(1)) == nil)  // answered already
        #expect(router.isOpen(batch))
        #expect(router.take(JSONRPCID(json: #""b""#))?.name == "batch")
        #expect(!router.isOpen(batch))
        #expect(!router.isWaiting)
    }

    @Test func progressFollowsItsTokenUntilTheRequestIsAnswered() {
        var router = Router(now: start)
        let post = Post("p")
        _ = router.register(post, streams: true, requests: [(JSONRPCID(1), #""tok""#)])
        #expect(router.exchange(forProgressToken: #""tok""#)?.name == "p")
        #expect(router.exchange(forProgressToken: #""other""#) == nil)
        _ = router.take(JSONRPCID(1))
        #expect(router.exchange(forProgressToken: #""tok""#) == nil)
    }

    @Test func otherMessagesGoToTheNewestStreamingPostThenTheGetStreamThenTheBacklog() {
        var router = Router(backlogLimit: 2, now: start)
        let streaming = Post("streaming")
        _ = router.register(streaming, streams: true, requests: [(JSONRPCID(1), nil)])
        _ = router.register(Post("json"), streams: false, requests: [(JSONRPCID(2), nil)])
        guard case .exchange(let target) = router.deliverUnrelated([1], at: start) else { Issue.record("not to the POST"); return }
        #expect(target === streaming)
        _ = router.take(JSONRPCID(1))
        // The streaming POST has its answers: with no GET stream, messages wait (the oldest goes past the limit).
        guard case .backlog(dropped: false) = router.deliverUnrelated([2], at: start) else { Issue.record("not kept"); return }
        guard case .backlog(dropped: false) = router.deliverUnrelated([3], at: start) else { Issue.record("not kept"); return }
        guard case .backlog(dropped: true) = router.deliverUnrelated([4], at: start) else { Issue.record("none dropped"); return }
        #expect(router.dropped == 1)
        #expect(router.openStandalone(at: start) == [[3], [4]])
        #expect(router.openStandalone(at: start) == nil)  // one per session
        guard case .standalone = router.deliverUnrelated([5], at: start) else { Issue.record("not to the GET stream"); return }
        router.closeStandalone()
        guard case .backlog = router.deliverUnrelated([6], at: start) else { Issue.record("not kept"); return }
    }

    @Test func aQuietGetStreamIsDueAKeepAliveAndAnIdleSessionIsIdle() {
        var router = Router(now: start)
        let due2 = router.keepAliveDue(after: .seconds(15), now: start + .seconds(60))  // no stream
        #expect(!due2)
        _ = router.openStandalone(at: start)
        let due3 = router.keepAliveDue(after: .seconds(15), now: start + .seconds(10))
        #expect(!due3)
        let due4 = router.keepAliveDue(after: .seconds(15), now: start + .seconds(15))
        #expect(due4)
        let due5 = router.keepAliveDue(after: .seconds(15), now: start + .seconds(20))  // written at 15
        #expect(!due5)
        #expect(router.isIdle(for: .seconds(30), now: start + .seconds(30)))
        router.touch(at: start + .seconds(25))
        #expect(!router.isIdle(for: .seconds(30), now: start + .seconds(30)))
        _ = router.register(Post("p"), streams: false, requests: [(JSONRPCID(1), nil)])
        #expect(!router.isIdle(for: .zero, now: start + .seconds(100)))  // a request waits
    }

    @Test func overdueAndEndTakeTheWaitingRequestsGroupedByPost() {
        var router = Router(now: start)
        let slow = Post("slow")
        let fast = Post("fast")
        _ = router.register(slow, streams: false, requests: [(JSONRPCID(1), nil), (JSONRPCID(2), nil)])
        _ = router.register(fast, streams: false, requests: [(JSONRPCID(3), nil)])
        let overdue = router.takeOverdue { $0 === slow }
        #expect(overdue.count == 1)
        #expect(overdue.first?.0 === slow)
        #expect(Set(overdue.first?.1 ?? []) == [JSONRPCID(1), JSONRPCID(2)])
        #expect(!router.isOpen(slow))
        let ended = router.end()
        #expect(ended.map { $0.0.name } == ["fast"])
        #expect(router.isEnded)
        let lateRegistered = router.register(Post("late"), streams: false, requests: [(JSONRPCID(4), nil)])
        #expect(!lateRegistered)
        #expect(router.openStandalone(at: start) == nil)
    }
}
