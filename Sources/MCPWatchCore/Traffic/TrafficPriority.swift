/// How urgent a call is: queued calls leave the queue highest priority first, then in order of arrival.
public enum TrafficPriority: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
    /// Goes before every normal and low call.
    case high
    /// The default.
    case normal
    /// Goes after every high and normal call.
    case low

    /// 0 for high, 1 for normal, 2 for low: the queue's lane.
    var rank: Int {
        switch self {
        case .high: 0
        case .normal: 1
        case .low: 2
        }
    }
}
