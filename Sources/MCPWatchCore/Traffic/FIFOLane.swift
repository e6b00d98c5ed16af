/// A first-in first-out list of sequence numbers with O(1) amortised append and removal from the front.
///
/// Entries removed from the middle (a cancelled call) are left in place and skipped by the owner, which knows
/// which sequence numbers are live; ``compact(keeping:)`` drops them when they pile up.
struct FIFOLane: Sendable {
    private var storage: [UInt64] = []
    private var head = 0

    /// Items held, live or not.
    var storedCount: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: UInt64? { head < storage.count ? storage[head] : nil }

    mutating func append(_ sequence: UInt64) { storage.append(sequence) }

    mutating func removeFirst() {
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1_024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    mutating func compact(keeping isLive: (UInt64) -> Bool) {
        storage = storage[head...].filter(isLive)
        head = 0
    }
}
