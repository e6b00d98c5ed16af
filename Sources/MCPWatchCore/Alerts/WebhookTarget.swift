import Foundation

/// Where a webhook notifier POSTs alert transitions.
public struct WebhookTarget: Sendable, Equatable {
    /// The address (http or https).
    public var url: String
    /// A file whose first line is the HMAC-SHA256 secret; the body's signature then goes in `X-MCPWatch-Signature`.
    public var secretFile: String?
    /// How long one attempt may take.
    public var timeout: Duration
    /// Attempts after the first, with exponential backoff (0.5 s, 1 s, 2 s, ...).
    public var retries: Int

    /// Creates a target.
    public init(url: String, secretFile: String? = nil, timeout: Duration = .seconds(5), retries: Int = 3) {
        self.url = url
        self.secretFile = secretFile
        self.timeout = timeout
        self.retries = retries
    }

    struct ParseProblem: Error { var message: String }

    /// Parses `alerts.webhooks`: a list of URLs or of `{url, secret_file, timeout, retries}` mappings.
    static func parseList(_ node: ConfigNode) -> Result<[WebhookTarget], ParseProblem> {
        guard case .sequence(let items, _) = node else {
            if case .null = node { return .success([]) }
            if case .scalar(let url, _) = node { return parseURL(url, line: node.line).map { [WebhookTarget(url: $0)] } }
            return .failure(.init(message: "expected a list of webhooks, found \(node.kindName)"))
        }
        var out: [WebhookTarget] = []
        for item in items {
            switch item {
            case .scalar(let url, let line):
                switch parseURL(url, line: line) {
                case .success(let u): out.append(WebhookTarget(url: u))
                case .failure(let p): return .failure(p)
                }
            case .mapping(let entries, let line):
                var hook = WebhookTarget(url: "")
                for e in entries {
                    guard case .scalar(let v, let l) = e.value else { return .failure(.init(message: "line \(e.line): \(e.key) takes a value")) }
                    switch e.key {
                    case "url":
                        switch parseURL(v, line: l) {
                        case .success(let u): hook.url = u
                        case .failure(let p): return .failure(p)
                        }
                    case "secret_file": hook.secretFile = v
                    case "timeout":
                        guard let d = ConfigValueParsing.duration(v), d > .zero else { return .failure(.init(message: "line \(l): timeout: expected a duration such as 5s, found '\(v)'")) }
                        hook.timeout = d
                    case "retries":
                        guard let n = Int(v), (0...10).contains(n) else { return .failure(.init(message: "line \(l): retries: expected a whole number from 0 to 10, found '\(v)'")) }
                        hook.retries = n
                    default:
                        return .failure(.init(message: "line \(e.line): unknown key '\(e.key)': a webhook takes url, secret_file, timeout and retries"))
                    }
                }
                guard !hook.url.isEmpty else { return .failure(.init(message: "line \(line): a webhook needs a url")) }
                out.append(hook)
            default:
                return .failure(.init(message: "line \(item.line): a webhook is a URL or a mapping with url"))
            }
        }
        return .success(out)
    }

    static func parseURL(_ text: String, line: Int) -> Result<String, ParseProblem> {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let c = URLComponents(string: t), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty else {
            return .failure(.init(message: "\(line > 0 ? "line \(line): " : "")'\(t)' is not an http:// or https:// URL"))
        }
        return .success(t)
    }

    var configYAML: String {
        "{url: \(ConfigSchema.quoted(url)), secret_file: \(secretFile.map(ConfigSchema.quoted) ?? "null"), timeout: \(ConfigValueParsing.format(timeout)), retries: \(retries)}"
    }
}
