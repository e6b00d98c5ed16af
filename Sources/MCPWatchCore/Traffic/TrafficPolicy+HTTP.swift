extension TrafficPolicy {
    /// The policy for a relay that cannot answer a call the server is still working on (the HTTP relays: the
    /// server's answer comes on the same HTTP exchange, which the relay does not cut short): the server timeouts are
    /// left out (the upstream's own response timeout, `--upstream-timeout`, applies); everything else stays.
    public var withoutServerTimeouts: TrafficPolicy {
        var policy = self
        policy.timeout = nil
        for name in policy.tools.keys { policy.tools[name]!.timeout = nil }
        for name in policy.methods.keys { policy.methods[name]!.timeout = nil }
        return policy
    }
}
