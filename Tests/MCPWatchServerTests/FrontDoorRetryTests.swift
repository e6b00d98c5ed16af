import Synchronization
import Testing
@testable import MCPWatchServer

@Suite struct FrontDoorRetryTests {
    struct Taken: Error {}

    /// Counts, from the loop's own (non-concurrent) closures.
    final class Count {
        var value = 0
    }

    /// The waits asked for, in order; `stopAfter` waits, it throws as a cancelled task's sleep does.
    final class RecordingSleep: Sendable {
        let waits = Mutex<[Duration]>([])
        let stopAfter: Int
        init(stopAfter: Int = .max) { self.stopAfter = stopAfter }
        func sleep(_ duration: Duration) throws {
            let count = waits.withLock { $0.append(duration); return $0.count }
            if count > stopAfter { throw CancellationError() }
        }
    }

    @Test func aTakenAddressIsTriedAgainEveryIntervalUntilItCanBeServed() async {
        let clock = RecordingSleep()
        let attempts = Count()
        var failures: [Int] = []
        await FrontDoorRetry(interval: .seconds(1), sleep: { try clock.sleep($0) }).run {
            attempts.value += 1
            let n = attempts.value
            if n < 4 { throw Taken() }  // the front door is someone else's three times, then it exits
        } failed: { attempt, _ in failures.append(attempt) }
        #expect(attempts.value == 4)
        #expect(failures == [1, 2, 3])
        #expect(clock.waits.withLock { $0 } == [.seconds(1), .seconds(1), .seconds(1)])
    }

    @Test func cancellationEndsTheLoop() async {
        let clock = RecordingSleep(stopAfter: 2)
        let attempts = Count()
        await FrontDoorRetry(sleep: { try clock.sleep($0) }).run {
            attempts.value += 1
            throw Taken()
        } failed: { _, _ in }
        #expect(attempts.value == 3)
        // A serve that ends by cancellation is not a failure to retry.
        var failed = false
        await FrontDoorRetry(sleep: { try clock.sleep($0) }).run { throw CancellationError() } failed: { _, _ in failed = true }
        #expect(!failed)
    }

    @Test func aServeThatReturnsIsTheEnd() async {
        let clock = RecordingSleep()
        let attempts = Count()
        await FrontDoorRetry(sleep: { try clock.sleep($0) }).run { attempts.value += 1 } failed: { _, _ in }
        #expect(attempts.value == 1 && clock.waits.withLock { $0 }.isEmpty)
    }
}
