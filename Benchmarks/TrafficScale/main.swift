// Queue and cache operations from 10 to 100,000 entries (issue 19: they stay flat), on the real Core types.
// Run: MCPWATCH_BENCHMARKS=1 swift run -c release --scratch-path .build-bench TrafficScale
import Foundation
import MCPWatchCore

let sizes = [10, 100, 1_000, 10_000, 100_000]
let operations = 200_000
let runs = 5
let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)
let priorities: [TrafficPriority] = [.high, .normal, .low]

/// This thread's CPU time in nanoseconds: on a machine shared with other builds, time spent descheduled is not ours.
func threadCPUNanoseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
}

/// The best of `runs` runs of `operations` operations, in CPU nanoseconds per operation (the least disturbed run;
/// the machine is shared); `setUp` builds fresh state per run.
func measure<State>(_ setUp: () -> State, _ body: (inout State, Int) -> Void) -> Double {
    var samples: [Double] = []
    for _ in 0..<runs {
        var state = setUp()
        let start = threadCPUNanoseconds()
        for i in 0..<operations { body(&state, i) }
        samples.append((threadCPUNanoseconds() - start) / Double(operations))
        withExtendedLifetime(state) {}
    }
    return samples.min()!
}

/// A queue with one call in flight and `size` waiting, priorities mixed, each with a queue timeout.
func fullQueue(_ size: Int) -> (AdmissionQueue<Int>, next: Int, running: Int) {
    var queue = AdmissionQueue<Int>(limits: .init(maxConcurrency: 1, maxQueued: size + 1, queueTimeout: .seconds(60)))
    _ = queue.arrive(-1, now: t0)
    for call in 0..<size { _ = queue.arrive(call, priority: priorities[call % 3], now: t0) }
    return (queue, size, -1)
}

func response(_ i: Int) -> [UInt8] {
    Array(#"{"jsonrpc":"2.0","id":\#(i),"result":{"contents":[{"uri":"file:///r\#(i)","text":"some text of a resource"}],"ttlMs":600000,"cacheScope":"public"}}"#.utf8)
}

func key(_ i: Int) -> ResponseCacheKey {
    try! ResponseCacheKey.make(request: Array(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///r\#(i)"}}"#.utf8)).get()
}

// New keys for the stores, made once (none of them is among the first 100,000).
let extraKeys = (0..<operations).map { key(1_000_000 + $0) }
let extraResponse = response(1_000_000)

print("| entries | queue: arrive + cancel | queue: finish → release + arrive | queue: expire sweep (none due) | cache: lookup (hit) | cache: store (evicts one) |")
print("|---:|---:|---:|---:|---:|---:|")
for size in sizes {
    // A call arrives behind `size` others and is cancelled (notifications/cancelled): the queue stays at `size`.
    let arriveCancel = measure({ fullQueue(size) }) { state, i in
        let key = 1_000_000_000 + i
        _ = state.0.arrive(key, priority: priorities[i % 3], now: t0)
        _ = state.0.cancel(key)
    }
    // The call in flight ends, the best waiting one goes, a new one arrives: the queue stays at `size`.
    let release = measure({ fullQueue(size) }) { state, _ in
        let released = state.0.finish(state.running, now: t0)
        state.running = released[0].key
        _ = state.0.arrive(state.next, priority: priorities[state.next % 3], now: t0)
        state.next += 1
    }
    // The relay's timer: nothing is due yet.
    let expire = measure({ fullQueue(size) }) { state, _ in
        _ = state.0.expire(now: t0)
        _ = state.0.nextDeadline()
    }
    let keys = (0..<size).map(key)
    let responses = (0..<size).map(response)
    func fullCache() -> ResponseCache {
        var cache = ResponseCache(maxEntries: size, maxBytes: 1 << 30)
        for i in 0..<size { cache.store(responses[i], for: keys[i], context: nil, now: t0) }
        return cache
    }
    // Random hits (a multiplicative hash walks the keys in no particular order).
    let lookup = measure(fullCache) { cache, i in
        _ = cache.lookup(keys[(i &* 2_654_435_761) % size], context: nil, now: t0)
    }
    // A full cache: every store is a new key and evicts the least recently used entry.
    let store = measure(fullCache) { cache, i in
        cache.store(extraResponse, for: extraKeys[i], context: nil, now: t0)
    }
    func format(_ ns: Double) -> String { String(format: "%.0f ns", ns) }
    print("| \(size) | \(format(arriveCancel)) | \(format(release)) | \(format(expire)) | \(format(lookup)) | \(format(store)) |")
}

// Making a key (canonical parameters) costs the same whatever the cache holds; shown once for scale.
let request = Array(#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Zürich","days":3,"units":"metric"},"_meta":{"io.example/trace":"abc"}}}"#.utf8)
let makeKey = measure({ 0 }) { count, _ in
    if case .success(let k) = ResponseCacheKey.make(request: request) { count &+= k.parameters.count }
}
print(String(format: "\nResponseCacheKey.make for a small tools/call: %.0f ns", makeKey))
