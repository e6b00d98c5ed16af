import Foundation
import MCPWatchCore
import MCPWatchServer
import MCPWatchStore
import NIOCore

extension FleetFrontDoor {
    /// The fleet side of a proxy: registered in the state folder's registry under its pid, named as its reports
    /// name it; nil when there is no state folder (no HOME).
    static func member(_ configuration: WatchConfiguration, store: MetricsStore, history: StoreHistory?,
                       eventLoops: any EventLoopGroup) -> FleetFrontDoor? {
        guard let registry = FleetRegistry.standard() else { return nil }
        let command = configuration.upstreamURL.map { [$0] } ?? configuration.serverCommand
        let mode = configuration.upstreamURL != nil ? (configuration.serveHTTP != nil ? "reverse-proxy" : "stdio-front")
            : (configuration.serveHTTP != nil ? "bridge" : "stdio")
        let fallback = FleetInstance.fallbackName(command: command)
        let given = configuration.serverName
        let pid = getpid()
        let instance = FleetInstance(pid: pid, startedAt: Date(), name: given ?? fallback, command: command, mode: mode,
                                     socket: registry.socketPath(pid: pid))
        return FleetFrontDoor(registry: registry,
                              member: .init(instance: instance, name: { given ?? store.session.server?.name ?? fallback }),
                              history: history.map { StoreFleetHistory($0) } ?? LiveFleetHistory(),
                              forwarder: FleetForwarder(eventLoopGroup: eventLoops))
    }
}
