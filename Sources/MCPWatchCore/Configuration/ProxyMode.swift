import Foundation

/// What `mcpwatch proxy` runs, decided once from the effective configuration (file, environment and flags).
///
///     -- COMMAND                          stdio relay     (stdio client, stdio server)
///     --upstream URL --serve-http H:P     reverse proxy   (Streamable HTTP clients, Streamable HTTP server)
///     --upstream URL                      stdio front     (stdio client, Streamable HTTP or HTTP+SSE server)
///     --serve-http H:P -- COMMAND         bridge          (Streamable HTTP clients, stdio servers)
public enum ProxyMode: Sendable, Equatable {
    /// Relays a stdio server to the stdio client, byte for byte.
    case stdioRelay(command: [String])
    /// Relays a Streamable HTTP server to Streamable HTTP clients, served on an address.
    case reverseProxy(upstream: URL, serve: ListenAddress)
    /// Speaks stdio to the client and Streamable HTTP (or HTTP+SSE) to the server.
    case stdioFront(upstream: URL)
    /// Serves a stdio server to many Streamable HTTP clients, one process per session or one shared.
    case bridge(command: [String], serve: ListenAddress)

    /// An option that belongs to some modes only: given on the command line for another, it is a mistake.
    public struct Option: Sendable, Hashable {
        /// The flag as written: `--shared-server`.
        public let flag: String
        let modes: Set<Kind>

        /// A flag and the modes it belongs to.
        init(_ flag: String, _ modes: Set<Kind>) {
            self.flag = flag
            self.modes = modes
        }

        /// `--shutdown-grace`: the server processes mcpwatch starts, and the stdio front's session end.
        public static let shutdownGrace = Option("--shutdown-grace", [.stdioRelay, .stdioFront, .bridge])
        /// `--upstream-transport`: the stdio front's upstream (the reverse proxy takes Streamable HTTP only).
        public static let upstreamTransport = Option("--upstream-transport", [.stdioFront, .reverseProxy])
        /// `--upstream-connect-timeout`.
        public static let upstreamConnectTimeout = Option("--upstream-connect-timeout", [.stdioFront, .reverseProxy])
        /// `--upstream-timeout`: the upstream's response head, or a bridged server's first answer.
        public static let upstreamTimeout = Option("--upstream-timeout", [.stdioFront, .reverseProxy, .bridge])
        /// `--shared-server`.
        public static let sharedServer = Option("--shared-server", [.bridge])
        /// `--max-sessions`.
        public static let maxSessions = Option("--max-sessions", [.bridge])
        /// `--session-idle-timeout`.
        public static let sessionIdleTimeout = Option("--session-idle-timeout", [.bridge])
    }

    /// The modes, without their values.
    public enum Kind: Sendable, Hashable, CaseIterable {
        case stdioRelay, reverseProxy, stdioFront, bridge

        /// How the mode is asked for, for messages.
        public var usage: String {
            switch self {
            case .stdioRelay: "-- COMMAND (stdio relay)"
            case .reverseProxy: "--upstream URL --serve-http HOST:PORT (reverse proxy)"
            case .stdioFront: "--upstream URL (stdio front)"
            case .bridge: "--serve-http HOST:PORT -- COMMAND (bridge)"
            }
        }
    }

    /// The mode without its values.
    public var kind: Kind {
        switch self {
        case .stdioRelay: .stdioRelay
        case .reverseProxy: .reverseProxy
        case .stdioFront: .stdioFront
        case .bridge: .bridge
        }
    }

    /// Decides the mode.
    /// - Parameters:
    ///   - upstream: `--upstream` / `upstream.url`.
    ///   - serveHTTP: `--serve-http` / `upstream.serve_http`.
    ///   - command: the server command after `--` / `server.command`.
    ///   - transport: `--upstream-transport` / `upstream.transport`.
    ///   - given: the mode-specific options given on the command line (a configuration file may hold keys for
    ///     several modes; a flag is given for this run).
    /// - Throws: ``WatchError`` with code `invalidArgument` naming what to write instead.
    public static func decide(upstream: String?, serveHTTP: ListenAddress?, command: [String], transport: UpstreamTransport = .auto,
                              given: [Option] = []) throws(WatchError) -> ProxyMode {
        let mode: ProxyMode
        if let upstream {
            guard let url = URL(string: upstream), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host != nil
            else {
                throw WatchError(.invalidArgument, "--upstream must be an http:// or https:// URL, e.g. http://127.0.0.1:8000/mcp (got '\(upstream)')")
            }
            guard command.isEmpty else {
                throw WatchError(.invalidArgument, "give either --upstream URL or a server command after `--`, not both")
            }
            if let serveHTTP {
                guard transport != .sse else {
                    throw WatchError(.invalidArgument, "the reverse proxy (--serve-http with --upstream) relays Streamable HTTP only; the older HTTP+SSE transport is supported by the stdio front (--upstream without --serve-http)")
                }
                mode = .reverseProxy(upstream: url, serve: serveHTTP)
            } else {
                mode = .stdioFront(upstream: url)
            }
        } else {
            guard !command.isEmpty else {
                throw WatchError(.invalidArgument, "give the server command after `--`, e.g. `mcpwatch proxy -- uvx mcp-server-time` (or server.command in the configuration file), or --upstream URL")
            }
            mode = serveHTTP.map { .bridge(command: command, serve: $0) } ?? .stdioRelay(command: command)
        }
        if let misplaced = given.first(where: { !$0.modes.contains(mode.kind) }) {
            let belongs = Kind.allCases.filter { misplaced.modes.contains($0) }.map(\.usage)
            throw WatchError(.invalidArgument, "\(misplaced.flag) does not apply to \(mode.kind.usage); it belongs to \(belongs.joined(separator: ", or "))")
        }
        return mode
    }
}
