/// Calls in the order they started, with their deadlines: all calls share one timeout, so the first is always
/// the next to expire. Pushing and popping cost O(1), amortised.
struct DeadlineQueue {
    struct Item {
        var id: Int
        var deadline: UInt64
    }

    private var items: [Item] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }
    var first: Item? { head < items.count ? items[head] : nil }

    mutating func append(_ item: Item) { items.append(item) }

    mutating func removeFirst() {
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096 && head * 2 >= items.count {
            // Compact now and then so the array does not grow with the run's length.
            items.removeFirst(head)
            head = 0
        }
    }

    mutating func removeAll() {
        items.removeAll(keepingCapacity: true)
        head = 0
    }
}
