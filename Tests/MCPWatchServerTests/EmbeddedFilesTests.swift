import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import MCPWatchCore
@testable import MCPWatchServer

/// The files compiled into the binary: the OpenAPI document, checked against the routes, and the dashboard's files.
@Suite struct EmbeddedFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(EmbeddedFiles.openAPIDocument)) as? [String: Any])
    }

    /// The dashboard's page and files are served but are not API: they answer HTML, CSS and JavaScript.
    static let pages: Set<String> = ["GET /", "GET /assets/*"]

    /// `METHOD /path` with every parameter written `*`: `{name}` in OpenAPI, `:name`, `*` or `**` in the router.
    static func route(_ method: String, _ path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map { component in
            component.hasPrefix("{") || component.hasPrefix(":") || component.hasPrefix("*") ? "*" : String(component)
        }
        return method.uppercased() + " " + (path == "/" ? "/" : components.joined(separator: "/"))
    }

    @Test func theDocumentIsOpenAPIWithItsFields() throws {
        let document = try Self.document()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["title"] as? String == "mcpwatch monitoring API" && info["version"] is String)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        #expect(paths.count > 10)
        for (path, operations) in paths {
            #expect(!operations.isEmpty, "\(path) has no operation")
            for (method, operation) in operations {
                let operation = try #require(operation as? [String: Any], "\(method) \(path)")
                #expect(operation["responses"] is [String: Any], "\(method) \(path) has no responses")
            }
        }
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        #expect(schemas["Report"] != nil && schemas["Error"] != nil)
        // Every reference points at a schema that exists.
        let text = String(decoding: EmbeddedFiles.openAPIDocument, as: UTF8.self)
        let references = Set(text.matches(of: /"#\/components\/schemas\/([A-Za-z]+)"/).map { String($0.output.1) })
        #expect(!references.isEmpty && references.subtracting(schemas.keys).isEmpty, "\(references.subtracting(schemas.keys))")
    }

    @Test func everyRouteServedIsDocumentedAndEveryDocumentedRouteIsServed() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { Self.route($0, path) } })

        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = MonitoringServer(configuration: .init(), sources: MonitoringSources(store: MetricsStore(clock: ManualClock())), logger: logger)
        let served = Set(server.buildRouter().routes.map { Self.route($0.method.rawValue, $0.path.description) })
        #expect(Self.pages.isSubset(of: served))
        #expect(served.subtracting(Self.pages).subtracting(documented).isEmpty, "served, not documented: \(served.subtracting(Self.pages).subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented, not served: \(documented.subtracting(served).sorted())")

        // The table that tells a wrong method (405) from no such endpoint (404) has the same paths.
        let exact = Set(paths.keys.filter { !$0.contains("{") })
        #expect(MonitoringServer.paths.subtracting(["/"]) == exact)
        #expect(MonitoringServer.postPaths == Set(paths.filter { $0.value["post"] != nil }.keys))
        for path in paths.keys where path.contains("{") {
            #expect(MonitoringServer.isServed(path.replacingOccurrences(of: "{name}", with: "echo")), "\(path)")
        }
    }

    @Test func theDocumentServedIsTheOneInDocs() async throws {
        let file = try Data(contentsOf: Self.root.appendingPathComponent("docs/openapi.json"))
        #expect(Data(EmbeddedFiles.openAPIDocument) == file, "docs/openapi.json changed and the binary was not rebuilt")
        let app = MonitoringServerTests.app(MetricsStore(clock: ManualClock()))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(Data(buffer: response.body) == file)
            }
        }
    }

    @Test func theBinaryHoldsEveryDashboardFileAsItIsInTheSourceTree() throws {
        let folder = Self.root.appendingPathComponent("Sources/MCPWatchServer/Dashboard")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(EmbeddedFiles.dashboard.map(\.name).sorted() == names, "a file of Dashboard/ needs its line in CEmbeddedFiles.c")
        for (name, bytes) in EmbeddedFiles.dashboard {
            #expect(Data(bytes) == (try Data(contentsOf: folder.appendingPathComponent(name))), "\(name)")
        }
        let assets = DashboardAssets.embedded
        #expect(assets.origin == .binary && assets.names == names)
        // And the development override still reads a folder.
        let fromFolder = DashboardAssets.load(folder: folder.path)
        #expect(fromFolder.origin == .folder(folder.path) && fromFolder.names == names)
    }
}
