import Testing
@testable import MCPWatchCore

@Suite struct TrafficResponseCacheTests {
    let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)
    func at(_ seconds: Double) -> MonotonicInstant { t0.advanced(byNanoseconds: UInt64(seconds * 1e9)) }
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    func key(_ request: String) throws -> ResponseCacheKey { try ResponseCacheKey.make(request: bytes(request)).get() }

    static let toolsList = #"{"jsonrpc":"2.0","id":"first-1","result":{"tools":[{"name":"echo"}],"ttlMs":60000,"cacheScope":"public"}}"#

    @Test func aHitIsTheServersBytesWithTheCallersId() throws {
        var cache = ResponseCache(maxEntries: 10, maxBytes: 1 << 20)
        let k = try key(#"{"jsonrpc":"2.0","id":"first-1","method":"tools/list"}"#)
        #expect(cache.lookup(k, context: nil, now: t0) == nil)
        #expect(cache.store(bytes(Self.toolsList), for: k, context: nil, now: t0) == .stored(ttl: .seconds(60), scope: .public))
        let again = try key(#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"io.x/y":1}}}"#)
        let found = cache.lookup(again, context: "someone", now: at(30))
        let hit = try #require(found)
        #expect(String(decoding: hit.response(id: RequestID(7)), as: UTF8.self)
                == #"{"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"echo"}],"ttlMs":60000,"cacheScope":"public"}}"#)
        #expect(hit.response(id: RequestID(json: "\"first-1\"")) == bytes(Self.toolsList))
        #expect(hit.remainingNanoseconds == 30_000_000_000)
        // Stale after its ttlMs.
        #expect(cache.lookup(again, context: nil, now: at(60)) == nil)
        #expect(cache.statistics.hits == 1 && cache.statistics.misses == 2 && cache.statistics.expirations == 1 && cache.statistics.entries == 0)
    }

    @Test func keysIgnoreMetaAndFormattingButNotParameters() throws {
        let a = try key(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"weather","arguments":{"city":"Zürich","days":1}}}"#)
        let b = try key(#"{"id":2,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"days":1.0,"city":"Z\u00fcrich"},"_meta":{"trace":"x"},"name":"weather"}}"#)
        let c = try key(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"weather","arguments":{"city":"Bern","days":1}}}"#)
        #expect(a == b && a != c)
        #expect(a.tool == "weather")
        let read = try key(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:\/\/\/a.txt"}}"#)
        #expect(read.uri == "file:///a.txt")
        let page2 = try key(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"abc"}}"#)
        #expect(page2 != (try key(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)))
    }

    @Test func requestsThatAreNeverCached() {
        #expect(ResponseCacheKey.make(request: bytes(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","_meta":{"progressToken":"p"}}}"#)) == .failure(.progressToken))
        #expect(ResponseCacheKey.make(request: bytes(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","inputResponses":{}}}"#)) == .failure(.retry))
        #expect(ResponseCacheKey.make(request: bytes(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","requestState":"s"}}"#)) == .failure(.retry))
        #expect(ResponseCacheKey.make(request: bytes(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)) == .failure(.notARequest))
        #expect(ResponseCacheKey.make(request: bytes(#"[1,2]"#)) == .failure(.notARequest))
    }

    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"boom"}}"#, ResponseCache.NotStored.error),
        (#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true,"ttlMs":1000}}"#, .toolError),
        (#"{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","inputRequests":{}}}"#, .inputRequired),
        (#"{"jsonrpc":"2.0","id":1,"result":{"tools":[],"ttlMs":0,"cacheScope":"public"}}"#, .immediatelyStale),
        (#"{"jsonrpc":"2.0","id":1,"result":{"tools":[],"ttlMs":-5,"cacheScope":"public"}}"#, .immediatelyStale),
        (#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#, .noTTL),
        (#"{"jsonrpc":"2.0","id":1,"result":{"tools":[],"ttlMs":1000,"cacheScope":"private"}}"#, .privateWithoutContext),
        (#"{"jsonrpc":"2.0","result":{}}"#, .notAResponse),
    ])
    func responsesThatAreNeverStored(response: String, reason: ResponseCache.NotStored) throws {
        var cache = ResponseCache(maxEntries: 10, maxBytes: 1 << 20)
        let k = try key(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        #expect(cache.store(bytes(response), for: k, context: nil, now: t0) == .notStored(reason))
        #expect(cache.statistics.entries == 0)
    }

    @Test func aPrivateResultIsNeverServedToAnotherContext() throws {
        var cache = ResponseCache(maxEntries: 10, maxBytes: 1 << 20)
        let k = try key(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"mail://inbox"}}"#)
        let response = #"{"jsonrpc":"2.0","id":1,"result":{"contents":[{"uri":"mail://inbox","text":"alice's mail"}],"ttlMs":60000,"cacheScope":"private"}}"#
        #expect(cache.store(bytes(response), for: k, context: "token-alice", now: t0) == .stored(ttl: .seconds(60), scope: .private))
        #expect(cache.lookup(k, context: "token-bob", now: t0) == nil)
        #expect(cache.lookup(k, context: nil, now: t0) == nil)
        #expect(cache.lookup(k, context: "token-alice", now: t0)?.scope == .private)
        // A public answer for the same key is served to everyone, and replaces Alice's private one...
        let open = #"{"jsonrpc":"2.0","id":1,"result":{"contents":[],"ttlMs":60000,"cacheScope":"public"}}"#
        cache.store(bytes(open), for: k, context: "token-alice", now: t0)
        #expect(cache.lookup(k, context: "token-bob", now: t0)?.scope == .public)
        #expect(cache.statistics.entries == 1)
        // ...and a private one later replaces the public one, so that Bob is not served the stale shared answer.
        cache.store(bytes(response), for: k, context: "token-alice", now: t0)
        #expect(cache.lookup(k, context: "token-bob", now: t0) == nil)
        #expect(cache.statistics.entries == 1)
    }

    @Test func unhintedResultsUseTheConfiguredTTLAndArePrivateByDefault() throws {
        var cache = ResponseCache(maxEntries: 10, maxBytes: 1 << 20, unhintedTTL: .seconds(5))
        let k = try key(#"{"jsonrpc":"2.0","id":1,"method":"prompts/list"}"#)
        #expect(cache.store(bytes(#"{"jsonrpc":"2.0","id":1,"result":{"prompts":[]}}"#), for: k, context: "stdio", now: t0) == .stored(ttl: .seconds(5), scope: .private))
        #expect(cache.lookup(k, context: "other", now: at(1)) == nil)
        #expect(cache.lookup(k, context: "stdio", now: at(4.9)) != nil)
        #expect(cache.lookup(k, context: "stdio", now: at(5)) == nil)
        var shared = ResponseCache(maxEntries: 10, maxBytes: 1 << 20, unhintedTTL: .seconds(5), unhintedScope: .public)
        #expect(shared.store(bytes(#"{"jsonrpc":"2.0","id":1,"result":{"prompts":[]}}"#), for: k, context: nil, now: t0) == .stored(ttl: .seconds(5), scope: .public))
    }

    @Test func toolCallsUseTheirOwnTTLAndIgnoreHints() throws {
        var cache = ResponseCache(maxEntries: 10, maxBytes: 1 << 20, unhintedTTL: .seconds(5), unhintedScope: .public)
        let k = try key(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"weather","arguments":{}}}"#)
        #expect(cache.store(bytes(#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"ttlMs":999999}}"#), for: k, context: nil, ttl: .seconds(90), now: t0)
                == .stored(ttl: .seconds(90), scope: .public))
    }

    @Test func listChangedAndUpdatedInvalidate() throws {
        var cache = ResponseCache(maxEntries: 10, maxBytes: 1 << 20)
        let tools = try key(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        let prompts = try key(#"{"jsonrpc":"2.0","id":1,"method":"prompts/list"}"#)
        let readA = try key(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a"}}"#)
        let readB = try key(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"b"}}"#)
        let ok = #"{"jsonrpc":"2.0","id":1,"result":{"x":1,"ttlMs":60000,"cacheScope":"public"}}"#
        for k in [tools, prompts, readA, readB] { cache.store(bytes(ok), for: k, context: nil, now: t0) }
        #expect(cache.invalidate(notification: "notifications/tools/list_changed") == 1)
        #expect(cache.lookup(tools, context: nil, now: t0) == nil && cache.lookup(prompts, context: nil, now: t0) != nil)
        #expect(cache.invalidate(notification: "notifications/resources/updated", uri: "a") == 1)
        #expect(cache.lookup(readA, context: nil, now: t0) == nil && cache.lookup(readB, context: nil, now: t0) != nil)
        #expect(cache.invalidate(notification: "notifications/message") == 0)
        #expect(cache.invalidate(notification: "notifications/prompts/list_changed") == 1)
        #expect(cache.statistics.entries == 1 && cache.statistics.invalidations == 3)
    }

    @Test func leastRecentlyUsedGoesFirstWithinEntriesAndBytes() throws {
        var cache = ResponseCache(maxEntries: 3, maxBytes: 1 << 20)
        let keys = try (0..<4).map { try key(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"r\#($0)"}}"#) }
        let ok = #"{"jsonrpc":"2.0","id":1,"result":{"ttlMs":60000,"cacheScope":"public"}}"#
        for k in keys.prefix(3) { cache.store(bytes(ok), for: k, context: nil, now: t0) }
        _ = cache.lookup(keys[0], context: nil, now: t0)  // r0 is now the most recent; r1 the least
        cache.store(bytes(ok), for: keys[3], context: nil, now: t0)
        #expect(cache.lookup(keys[1], context: nil, now: t0) == nil)
        #expect(cache.lookup(keys[0], context: nil, now: t0) != nil && cache.lookup(keys[2], context: nil, now: t0) != nil)
        #expect(cache.statistics.evictions == 1 && cache.statistics.entries == 3)

        let big = #"{"jsonrpc":"2.0","id":1,"result":{"blob":""# + String(repeating: "x", count: 300) + #"","ttlMs":60000,"cacheScope":"public"}}"#
        var small = ResponseCache(maxEntries: 100, maxBytes: 1_000)
        for k in keys { small.store(bytes(big), for: k, context: nil, now: t0) }
        #expect(small.statistics.bytes <= 1_000 && small.statistics.entries == 2)
        let huge = #"{"jsonrpc":"2.0","id":1,"result":{"blob":""# + String(repeating: "x", count: 2_000) + #"","ttlMs":60000,"cacheScope":"public"}}"#
        #expect(small.store(bytes(huge), for: keys[0], context: nil, now: t0) == .notStored(.tooLarge))
    }

    @Test func oddHints() throws {
        var cache = ResponseCache(maxEntries: 10, maxBytes: 1 << 20)
        let k = try key(#"{"jsonrpc":"2.0","id":1,"method":"resources/list"}"#)
        // A fractional ttlMs counts in whole milliseconds; an unknown cacheScope is taken as private.
        #expect(cache.store(bytes(#"{"jsonrpc":"2.0","id":1,"result":{"resources":[],"ttlMs":1500.7,"cacheScope":"team"}}"#), for: k, context: "c", now: t0)
                == .stored(ttl: .milliseconds(1_500), scope: .private))
        // resultType complete is cacheable; the id may be a string with escapes, and is replaced whole.
        let response = #"{"result":{"resources":[],"resultType":"complete","ttlMs":10,"cacheScope":"public"},"id":"a\"b","jsonrpc":"2.0"}"#
        #expect(cache.store(bytes(response), for: k, context: nil, now: t0) == .stored(ttl: .milliseconds(10), scope: .public))
        let found = cache.lookup(k, context: nil, now: t0)
        let hit = try #require(found)
        #expect(String(decoding: hit.response(id: RequestID(9)), as: UTF8.self)
                == #"{"result":{"resources":[],"resultType":"complete","ttlMs":10,"cacheScope":"public"},"id":9,"jsonrpc":"2.0"}"#)
    }

    @Test func positionalParametersAreKeyedCanonically() throws {
        let a = try key(#"{"jsonrpc":"2.0","id":1,"method":"x/y","params":[1, {"b":2,"a":1}]}"#)
        let b = try key(#"{"jsonrpc":"2.0","id":2,"method":"x/y","params":[1.0,{"a":1,"b":2}]}"#)
        #expect(a == b && String(decoding: a.parameters, as: UTF8.self) == #"[1,{"a":1,"b":2}]"#)
    }

    @Test func replacingAnEntryKeepsTheCountsRight() throws {
        var cache = ResponseCache(maxEntries: 10, maxBytes: 1 << 20)
        let k = try key(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        for _ in 0..<5 { cache.store(bytes(Self.toolsList), for: k, context: nil, now: t0) }
        #expect(cache.statistics.entries == 1 && cache.statistics.stores == 5)
        cache.removeAll()
        #expect(cache.statistics.entries == 0 && cache.statistics.bytes == 0)
    }
}
