/// A binary min-heap of deadlines: O(log n) insert and pop, O(1) peek.
///
/// Removal is lazy: the owner keeps the authoritative table of live entries and skips popped items that are no
/// longer in it (or whose deadline changed), and calls ``compact(keeping:)`` when dead items outnumber live ones,
/// so memory stays proportional to the live entries.
struct DeadlineHeap<Key: Hashable & Sendable>: Sendable {
    struct Item: Sendable {
        var deadline: MonotonicInstant
        var sequence: UInt64
        var key: Key
    }

    private(set) var items: [Item] = []

    var count: Int { items.count }
    var first: Item? { items.first }

    mutating func insert(_ item: Item) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func popFirst() -> Item? {
        guard !items.isEmpty else { return nil }
        if items.count == 1 { return items.removeLast() }
        let top = items[0]
        items[0] = items.removeLast()
        siftDown(from: 0)
        return top
    }

    /// Keeps only the items `isLive` accepts, in O(n).
    mutating func compact(keeping isLive: (Item) -> Bool) {
        items.removeAll { !isLive($0) }
        guard items.count > 1 else { return }
        for index in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { return }
            var best = left
            let right = left + 1
            if right < items.count && Self.before(items[right], items[left]) { best = right }
            guard Self.before(items[best], items[parent]) else { return }
            items.swapAt(parent, best)
            parent = best
        }
    }

    private static func before(_ a: Item, _ b: Item) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }
}
