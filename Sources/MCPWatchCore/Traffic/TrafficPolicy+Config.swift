import Foundation

/// Reading `traffic:` from the configuration file and `MCPWATCH_TRAFFIC_...` variables, checking it, and printing it
/// for `mcpwatch config check`. Every problem names its dotted key (`traffic.tools.search.priority`) and why.
extension TrafficPolicy {
    /// One scalar setting at a dotted path below its parent (`queue.max_size`).
    struct Field<Target>: Sendable {
        let path: String
        let set: @Sendable (inout Target, String) -> String?
        let render: @Sendable (Target) -> String?
    }

    /// A setting whose value is a mapping of names the user chooses (`tools`, `cache.tools`).
    typealias Special<Target> = @Sendable (ConfigNode, inout Target, _ key: String, _ source: String, inout [ConfigProblem]) -> Void

    // MARK: Values

    /// Why a value is wrong: a message, written as a string literal.
    struct FieldProblem: Error, ExpressibleByStringInterpolation {
        let message: String
        init(stringLiteral value: String) { message = value }
        init(_ message: String) { self.message = message }
    }

    static func wholeNumber(_ text: String, atLeast minimum: Int, zeroMessage: String? = nil) -> Result<Int, FieldProblem> {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            return .failure("expected a whole number of at least \(minimum), found '\(text)'")
        }
        if value < 0 && minimum >= 0 { return .failure("must not be negative (found \(value)); the smallest is \(minimum)") }
        if value == 0 && minimum > 0, let zeroMessage { return .failure(FieldProblem(zeroMessage)) }
        if value < minimum { return .failure("must be at least \(minimum) (found \(value))") }
        return .success(value)
    }

    static func duration(_ text: String, allowZero: Bool = false) -> Result<Duration, FieldProblem> {
        guard let value = ConfigValueParsing.duration(text) else {
            let negative = text.trimmingCharacters(in: .whitespaces).hasPrefix("-")
            return .failure(FieldProblem(negative ? "must not be negative (found '\(text)')" : "expected a duration such as 500ms, 5s, 2m or 1h, found '\(text)'"))
        }
        if value == .zero && !allowZero { return .failure("must be more than 0s") }
        return .success(value)
    }

    static func priority(_ text: String) -> Result<TrafficPriority, FieldProblem> {
        if let value = TrafficPriority(rawValue: text) { return .success(value) }
        let names = TrafficPriority.allCases.map(\.rawValue)
        let hint = ConfigSchema.suggestion(for: text, among: names)
        return .failure(FieldProblem("unknown priority '\(text)': expected high, normal or low" + (hint.hasPrefix(" (") ? hint : "")))
    }

    /// `10`, `10/s`, `600/m`, `5/h`, `0.5`: calls per second.
    static func rate(_ text: String) -> Result<Double, FieldProblem> {
        let parts = text.replacingOccurrences(of: " ", with: "").split(separator: "/", maxSplits: 1).map(String.init)
        let expected = "expected calls per second such as 10, 10/s, 600/m or 5/h, found '\(text)'"
        guard let first = parts.first, let count = Double(first), count.isFinite else { return .failure(FieldProblem(expected)) }
        var perSecond = count
        if parts.count == 2 {
            switch parts[1] {
            case "s": break
            case "m": perSecond = count / 60
            case "h": perSecond = count / 3_600
            default: return .failure(FieldProblem(expected))
            }
        }
        if count < 0 { return .failure("must not be negative (found '\(text)')") }
        if count == 0 { return .failure("must be more than 0 (to forbid calls, leave the tool out of the server)") }
        return .success(perSecond)
    }

    static func field<Target, T>(_ path: String, _ parse: @escaping @Sendable (String) -> Result<T, FieldProblem>,
                                 set: @escaping @Sendable (inout Target, T) -> Void, render: @escaping @Sendable (Target) -> String?) -> Field<Target> {
        Field(path: path, set: { target, text in
            switch parse(text) {
            case .success(let value): set(&target, value); return nil
            case .failure(let problem): return problem.message
            }
        }, render: render)
    }

    static let cacheZero = "must be at least 1: a cache bound of 0 would hold nothing (leave traffic.cache out to turn the cache off)"

    // MARK: Tables

    static let breakerFields: [Field<BreakerSettings>] = [
        field("failures", { wholeNumber($0, atLeast: 1) }, set: { $0.consecutiveFailures = $1 }, render: { $0.consecutiveFailures.map(String.init) }),
        field("error_rate", { (text: String) -> Result<Double, FieldProblem> in
            guard let value = Double(text), value.isFinite else { return .failure("expected a percentage above 0 and up to 100, found '\(text)'") }
            guard value > 0 && value <= 100 else { return .failure(FieldProblem(value < 0 ? "must not be negative (found \(text))" : "must be above 0 and at most 100 (found \(text))")) }
            return .success(value)
        }, set: { $0.errorRatePercent = $1 }, render: { $0.errorRatePercent.map { "\($0)" } }),
        field("min_calls", { wholeNumber($0, atLeast: 1) }, set: { $0.minimumCalls = $1 }, render: { "\($0.minimumCalls)" }),
        field("window", { duration($0) }, set: { $0.window = $1 }, render: { ConfigValueParsing.format($0.window) }),
        field("cool_down", { duration($0) }, set: { $0.coolDown = $1 }, render: { ConfigValueParsing.format($0.coolDown) }),
        field("probes", { wholeNumber($0, atLeast: 1) }, set: { $0.probes = $1 }, render: { "\($0.probes)" }),
    ]

    /// Breaker fields lifted into a parent that holds an optional breaker.
    static func breakerFields<Parent>(get: @escaping @Sendable (Parent) -> BreakerSettings?,
                                      put: @escaping @Sendable (inout Parent, BreakerSettings) -> Void) -> [Field<Parent>] {
        breakerFields.map { inner in
            Field(path: "breaker." + inner.path, set: { parent, text in
                var breaker = get(parent) ?? BreakerSettings()
                if let message = inner.set(&breaker, text) { return message }
                put(&parent, breaker)
                return nil
            }, render: { parent in get(parent).flatMap(inner.render) })
        }
    }

    static func rateFields(_ name: String, get: @escaping @Sendable (RateLimits) -> RateLimit?,
                           put: @escaping @Sendable (inout RateLimits, RateLimit) -> Void) -> [Field<TrafficPolicy>] {
        [
            field("rate_limits.\(name).rate", rate, set: { policy, value in
                var limit = get(policy.rateLimits) ?? RateLimit(rate: 0, burst: 0)
                limit.rate = value
                put(&policy.rateLimits, limit)
            }, render: { get($0.rateLimits).map { format($0.rate) } }),
            field("rate_limits.\(name).burst", { wholeNumber($0, atLeast: 1).map(Double.init) }, set: { policy, value in
                var limit = get(policy.rateLimits) ?? RateLimit(rate: 0, burst: 0)
                limit.burst = value
                put(&policy.rateLimits, limit)
            }, render: { get($0.rateLimits).map { format($0.burst) } }),
        ]
    }

    static let serverFields: [Field<TrafficPolicy>] = serverBasicFields + serverBreakerFields + serverRateFields

    static let serverBreakerFields: [Field<TrafficPolicy>] = breakerFields(get: { $0.breaker }, put: { $0.breaker = $1 })

    static let serverRateFields: [Field<TrafficPolicy>] = rateFields("server", get: { $0.server }, put: { $0.server = $1 })
        + rateFields("client", get: { $0.client }, put: { $0.client = $1 }) + [clientKeyField]

    static let serverBasicFields: [Field<TrafficPolicy>] = [
        field("max_concurrency", { wholeNumber($0, atLeast: 1) }, set: { $0.maxConcurrency = $1 }, render: { $0.maxConcurrency.map(String.init) }),
        field("priority", priority, set: { $0.priority = $1 }, render: { $0.priority.rawValue }),
        field("timeout", { duration($0) }, set: { $0.timeout = $1 }, render: { $0.timeout.map(ConfigValueParsing.format) }),
        field("queue.max_size", { wholeNumber($0, atLeast: 0) }, set: { $0.queueMaxSize = $1 }, render: { "\($0.queueMaxSize)" }),
        field("queue.timeout", { duration($0) }, set: { $0.queueTimeout = $1 }, render: { $0.queueTimeout.map(ConfigValueParsing.format) }),
        field("server_requests.max_concurrency", { wholeNumber($0, atLeast: 1) }, set: { $0.maxServerRequests = $1 },
              render: { $0.maxServerRequests.map(String.init) }),
        field("cache.entries", { wholeNumber($0, atLeast: 1, zeroMessage: cacheZero) }, set: { $0.cache = $0.cache ?? CacheSettings(); $0.cache!.maxEntries = $1 },
              render: { $0.cache.map { "\($0.maxEntries)" } }),
        field("cache.bytes", { (text: String) -> Result<Int, FieldProblem> in
            if let whole = Int(text.trimmingCharacters(in: .whitespaces)), whole <= 0 {
                return .failure(FieldProblem(whole < 0 ? "must not be negative (found \(whole))" : cacheZero))
            }
            guard let bytes = ConfigValueParsing.byteSize(text) else {
                return .failure(FieldProblem(text.hasPrefix("-") ? "must not be negative (found '\(text)')" : "expected a size such as 1048576, 512KiB or 16MiB, found '\(text)'"))
            }
            return bytes == 0 ? .failure(FieldProblem(cacheZero)) : .success(bytes)
        }, set: { $0.cache = $0.cache ?? CacheSettings(); $0.cache!.maxBytes = $1 }, render: { $0.cache.map { ByteSize(bytes: $0.maxBytes).description } }),
        field("cache.ttl", { duration($0, allowZero: true) }, set: { $0.cache = $0.cache ?? CacheSettings(); $0.cache!.ttl = $1 == .zero ? nil : $1 },
              render: { $0.cache.map { $0.ttl.map(ConfigValueParsing.format) ?? "0s" } }),
        field("cache.unhinted_scope", { (text: String) -> Result<CacheScope, FieldProblem> in
            if let scope = CacheScope(rawValue: text) { return .success(scope) }
            return .failure("expected public or private, found '\(text)'")
        }, set: { $0.cache = $0.cache ?? CacheSettings(); $0.cache!.unhintedScope = $1 }, render: { $0.cache.map(\.unhintedScope.rawValue) }),
    ]

    static let clientKeyField: Field<TrafficPolicy> =
            field("rate_limits.client.by", { (text: String) -> Result<ClientKey, FieldProblem> in
                if let key = ClientKey(rawValue: text) { return .success(key) }
                return .failure("expected session, api_key or client_info, found '\(text)'")
            }, set: { $0.rateLimits.clientKey = $1 }, render: { $0.rateLimits.client == nil ? nil : $0.rateLimits.clientKey.rawValue })

    static let overrideFields: [Field<Override>] = overrideBasicFields + breakerFields(get: { $0.breaker }, put: { $0.breaker = $1 })

    static let overrideBasicFields: [Field<Override>] = [
        field("max_concurrency", { wholeNumber($0, atLeast: 1) }, set: { $0.maxConcurrency = $1 }, render: { $0.maxConcurrency.map(String.init) }),
        field("priority", priority, set: { $0.priority = $1 }, render: { $0.priority?.rawValue }),
        field("timeout", { duration($0) }, set: { $0.timeout = $1 }, render: { $0.timeout.map(ConfigValueParsing.format) }),
        field("queue.timeout", { duration($0) }, set: { $0.queueTimeout = $1 }, render: { $0.queueTimeout.map(ConfigValueParsing.format) }),
    ]

    static let serverSpecials: [String: Special<TrafficPolicy>] = [
        "cache.tools": { node, policy, key, source, problems in
            for (name, value, line) in names(node, key: key, source: source, problems: &problems) {
                guard case .scalar(let text, _) = value else {
                    problems.append(problem(source, line, "\(key).\(name)", "expected a duration (the tool's TTL), found \(value.kindName)"))
                    return
                }
                switch duration(text) {
                case .success(let ttl): policy.cache = policy.cache ?? CacheSettings(); policy.cache!.tools[name] = ttl
                case .failure(let failure): problems.append(problem(source, line, "\(key).\(name)", failure.message))
                }
            }
        },
        "rate_limits.tools": { node, policy, key, source, problems in
            for (name, value, _) in names(node, key: key, source: source, problems: &problems) {
                var limits = TrafficPolicy()
                let fields = rateFields("one", get: { $0.server }, put: { $0.server = $1 }).map { f in
                    Field<TrafficPolicy>(path: String(f.path.dropFirst("rate_limits.one.".count)), set: f.set, render: f.render)
                }
                walk(value, prefix: "", key: "\(key).\(name)", fields: fields, specials: [:], into: &limits, source: source, problems: &problems)
                if let limit = limits.rateLimits.server { policy.rateLimits.tools[name] = limit }
            }
        },
        "tools": { node, policy, key, source, problems in
            for (name, value, _) in names(node, key: key, source: source, problems: &problems) {
                var override = policy.tools[name] ?? Override()
                walk(value, prefix: "", key: "\(key).\(name)", fields: overrideFields, specials: [:], into: &override, source: source, problems: &problems)
                policy.tools[name] = override
            }
        },
        "methods": { node, policy, key, source, problems in
            for (name, value, _) in names(node, key: key, source: source, problems: &problems) {
                var override = policy.methods[name] ?? Override()
                walk(value, prefix: "", key: "\(key).\(name)", fields: overrideFields, specials: [:], into: &override, source: source, problems: &problems)
                policy.methods[name] = override
            }
        },
    ]

    // MARK: Reading

    static func problem(_ source: String, _ line: Int, _ key: String, _ message: String) -> ConfigProblem {
        ConfigProblem(source: line > 0 ? "\(source):\(line)" : source, key: key, message: message)
    }

    /// The entries of a mapping of names (`tools`), or a problem when it is something else.
    static func names(_ node: ConfigNode, key: String, source: String, problems: inout [ConfigProblem]) -> [(String, ConfigNode, Int)] {
        switch node {
        case .null: return []
        case .mapping(let entries, _): return entries.map { ($0.key, $0.value, $0.value.line) }
        default:
            problems.append(problem(source, node.line, key, "expected a mapping of names to settings, found \(node.kindName)"))
            return []
        }
    }

    /// Reads a mapping against a table of fields, recursing into sections; unknown keys get a suggestion.
    static func walk<Target>(_ node: ConfigNode, prefix: String, key: String, fields: [Field<Target>], specials: [String: Special<Target>],
                             into target: inout Target, source: String, problems: inout [ConfigProblem]) {
        guard case .mapping(let entries, _) = node else {
            if case .null = node { return }
            problems.append(problem(source, node.line, key, "expected a mapping of keys, found \(node.kindName)"))
            return
        }
        for entry in entries {
            let path = prefix.isEmpty ? entry.key : prefix + "." + entry.key
            let fullKey = key + "." + entry.key
            if let special = specials[path] {
                special(entry.value, &target, fullKey, source, &problems)
            } else if let field = fields.first(where: { $0.path == path }) {
                switch entry.value {
                case .scalar(let text, let line):
                    if let message = field.set(&target, text) { problems.append(problem(source, line, fullKey, message)) }
                default:
                    problems.append(problem(source, entry.value.line > 0 ? entry.value.line : entry.line, fullKey, "expected a value, found \(entry.value.kindName)"))
                }
            } else if fields.contains(where: { $0.path.hasPrefix(path + ".") }) || specials.keys.contains(where: { $0.hasPrefix(path + ".") }) {
                walk(entry.value, prefix: path, key: fullKey, fields: fields, specials: specials, into: &target, source: source, problems: &problems)
            } else {
                let siblings = Self.children(of: prefix, in: fields.map(\.path) + specials.keys.sorted())
                problems.append(problem(source, entry.line, fullKey, "unknown key" + ConfigSchema.suggestion(for: entry.key, among: siblings)))
            }
        }
    }

    /// The names one level below `prefix`, in table order.
    static func children(of prefix: String, in paths: [String]) -> [String] {
        var names: [String] = []
        for path in paths {
            guard prefix.isEmpty || path.hasPrefix(prefix + ".") else { continue }
            let rest = prefix.isEmpty ? path : String(path.dropFirst(prefix.count + 1))
            let name = String(rest.split(separator: ".")[0])
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// Reads the `traffic:` section and checks its cross-key rules. Nil when it is empty (traffic control stays off).
    public static func parse(_ node: ConfigNode, into policy: inout TrafficPolicy?, source: String) -> [ConfigProblem] {
        if case .null = node { return [] }
        if case .mapping(let entries, _) = node, entries.isEmpty { return [] }
        var problems: [ConfigProblem] = []
        var working = policy ?? TrafficPolicy()
        // `cache:` and `breaker:` switch their part on even with nothing below (the defaults; a breaker then asks for
        // its conditions).
        if case .mapping(let entries, _) = node {
            if entries.contains(where: { $0.key == "cache" }) { working.cache = working.cache ?? CacheSettings() }
            if entries.contains(where: { $0.key == "breaker" }) { working.breaker = working.breaker ?? BreakerSettings() }
        }
        walk(node, prefix: "", key: "traffic", fields: serverFields, specials: serverSpecials, into: &working, source: source, problems: &problems)
        working.fillInBursts()
        policy = working
        return problems + working.validate(source: source)
    }

    /// The environment variables of the server-wide settings: `MCPWATCH_TRAFFIC_MAX_CONCURRENCY`,
    /// `MCPWATCH_TRAFFIC_QUEUE_MAX_SIZE`, ... (per-tool and per-method settings are file only).
    public static var environmentVariables: [(name: String, key: String)] {
        serverFields.map { ("MCPWATCH_TRAFFIC_" + $0.path.uppercased().replacingOccurrences(of: ".", with: "_"), "traffic." + $0.path) }
    }

    /// Applies `MCPWATCH_TRAFFIC_...` variables; any of them switches traffic control on. When one is set, the
    /// cross-key rules are checked again (``validate(source:)``).
    public static func apply(environment: [String: String], to policy: inout TrafficPolicy?) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        var touched = false
        for (field, variable) in zip(serverFields, environmentVariables) {
            guard let text = environment[variable.name] else { continue }
            touched = true
            var working = policy ?? TrafficPolicy()
            if let message = field.set(&working, text) {
                problems.append(ConfigProblem(source: variable.name, key: variable.key, message: message))
            } else {
                working.fillInBursts()
                policy = working
            }
        }
        if touched, let policy { problems += policy.validate(source: "environment") }
        return problems
    }

    /// A rate without a burst gets a burst of one second's calls (at least 1).
    mutating func fillInBursts() {
        func filled(_ limit: RateLimit?) -> RateLimit? {
            guard var limit else { return nil }
            if limit.burst <= 0 && limit.rate > 0 { limit.burst = max(1, limit.rate.rounded(.up)) }
            return limit
        }
        rateLimits.server = filled(rateLimits.server)
        rateLimits.client = filled(rateLimits.client)
        for (name, limit) in rateLimits.tools { rateLimits.tools[name] = filled(limit) }
    }

    // MARK: Checking

    /// Rules that span several keys.
    public func validate(source: String) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func checkBreaker(_ breaker: BreakerSettings?, _ key: String) {
            guard let breaker, breaker.consecutiveFailures == nil, breaker.errorRatePercent == nil else { return }
            problems.append(ConfigProblem(source: source, key: key, message: "set failures (in a row), error_rate (percent over min_calls in window), or both"))
        }
        checkBreaker(breaker, "traffic.breaker")
        for name in tools.keys.sorted() { checkBreaker(tools[name]?.breaker, "traffic.tools.\(name).breaker") }
        for name in methods.keys.sorted() { checkBreaker(methods[name]?.breaker, "traffic.methods.\(name).breaker") }
        func checkRate(_ limit: RateLimit?, _ key: String) {
            if let limit, limit.rate <= 0 { problems.append(ConfigProblem(source: source, key: key + ".rate", message: "a burst needs a rate (calls per second, e.g. 10/s)")) }
        }
        checkRate(rateLimits.server, "traffic.rate_limits.server")
        checkRate(rateLimits.client, "traffic.rate_limits.client")
        for name in rateLimits.tools.keys.sorted() { checkRate(rateLimits.tools[name], "traffic.rate_limits.tools.\(name)") }
        let queueSet = queueMaxSize != TrafficPolicy().queueMaxSize || queueTimeout != nil
            || tools.values.contains { $0.queueTimeout != nil } || methods.values.contains { $0.queueTimeout != nil }
        if queueSet && admissionLimits == nil && serverRequestLimits == nil {
            problems.append(ConfigProblem(source: source, key: "traffic.queue",
                message: "has no effect without max_concurrency (server-wide, or for a tool or method): calls wait only for a free slot"))
        }
        for (name, o) in methods.sorted(by: { $0.key < $1.key }) where o.maxConcurrency != nil && name != "tools/call" && Self.unqueuedMethods.contains(name) {
            problems.append(ConfigProblem(source: source, key: "traffic.methods.\(name).max_concurrency", message: "\(name) is never queued"))
        }
        return problems
    }

    // MARK: Printing

    /// The policy as YAML lines under `traffic:`, for `mcpwatch config check`.
    public var yaml: String {
        var out = "traffic:\n"
        func emit<T>(_ fields: [Field<T>], _ value: T, indent: String) {
            var open: [String] = []
            for field in fields {
                guard let rendered = field.render(value) else { continue }
                let parts = field.path.split(separator: ".").map(String.init)
                var common = 0
                while common < min(open.count, parts.count - 1) && open[common] == parts[common] { common += 1 }
                open = Array(open.prefix(common))
                for level in common..<(parts.count - 1) {
                    out += indent + String(repeating: "  ", count: level) + parts[level] + ":\n"
                    open.append(parts[level])
                }
                out += indent + String(repeating: "  ", count: parts.count - 1) + parts.last! + ": " + rendered + "\n"
            }
        }
        emit(Self.serverFields, self, indent: "  ")
        if let cache, !cache.tools.isEmpty {
            out += "  cache.tools:\n"
            for name in cache.tools.keys.sorted() { out += "    \(ConfigSchema.quoted(name)): \(ConfigValueParsing.format(cache.tools[name]!))\n" }
        }
        if !rateLimits.tools.isEmpty {
            out += "  rate_limits.tools:\n"
            for name in rateLimits.tools.keys.sorted() {
                let limit = rateLimits.tools[name]!
                out += "    \(ConfigSchema.quoted(name)): {rate: \(Self.format(limit.rate)), burst: \(Self.format(limit.burst))}\n"
            }
        }
        for (title, overrides) in [("tools", tools), ("methods", methods)] where !overrides.isEmpty {
            out += "  \(title):\n"
            for name in overrides.keys.sorted() {
                out += "    \(ConfigSchema.quoted(name)):\n"
                emit(Self.overrideFields, overrides[name]!, indent: "      ")
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
