/// The `traffic:` section: not in ``ConfigSchema/settings`` (its keys nest below tools and methods that the user
/// names), read by ``TrafficPolicy/parse(_:into:source:)`` and hooked into `apply(file:)`, `apply(environment:)`
/// and `renderYAML()`, so that `mcpwatch config check` and every command report its problems the same way. Its
/// cross-key rules are checked where it is read (after the file, and after the environment when a
/// `MCPWATCH_TRAFFIC_...` variable is set), so that a problem in the file is reported once.
extension WatchConfiguration {
    /// The section's name.
    static let trafficSection = "traffic"

    /// Reads the `traffic:` section of a file.
    mutating func applyTraffic(file node: ConfigNode, source: String) -> [ConfigProblem] {
        TrafficPolicy.parse(node, into: &traffic, source: source)
    }

    /// Applies `MCPWATCH_TRAFFIC_...` variables.
    mutating func applyTraffic(environment: [String: String]) -> [ConfigProblem] {
        TrafficPolicy.apply(environment: environment, to: &traffic)
    }

    /// The "did you mean" for an unknown section, `traffic` included (it is not in the settings table).
    static func sectionSuggestion(for unknown: String, among known: [String]) -> String {
        let close = ConfigSchema.suggestion(for: unknown, among: known)
        if close.hasPrefix(" (") { return close }
        let distance = ConfigSchema.editDistance(unknown, trafficSection)
        return distance <= 2 ? " (did you mean '\(trafficSection)'?)" : close
    }
}
