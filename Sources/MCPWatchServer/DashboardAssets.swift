import Foundation
import Hummingbird
import NIOCore

/// The dashboard's static files (HTML, CSS, JavaScript), shipped as the package resource folder `Dashboard`.
///
/// They are read once, when the server is built, and served from memory with an `ETag`, so a page load costs no
/// disk access. The folder is looked up without `Bundle.module`, whose accessor stops the process when the resource
/// bundle is missing: a copied binary without its bundle still proxies and serves the JSON API, and `/` explains.
public struct DashboardAssets: Sendable {
    /// One file, ready to serve.
    struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var etag: String
    }

    /// Files by name (`index.html`, `dashboard.js`, ...).
    let files: [String: File]
    /// Where they were read from, or nil when no folder was found.
    public let folder: String?

    /// Reads the files from the first folder that has an `index.html`.
    /// - Parameter folder: a folder to use instead of the search (tests, `MCPWATCH_DASHBOARD_DIR`).
    public static func load(folder: String? = nil) -> DashboardAssets {
        let fileManager = FileManager.default
        for candidate in folder.map({ [$0] }) ?? candidates() {
            guard fileManager.fileExists(atPath: candidate + "/index.html"),
                  let names = try? fileManager.contentsOfDirectory(atPath: candidate) else { continue }
            var files: [String: File] = [:]
            for name in names {
                guard let type = contentTypes[(name as NSString).pathExtension.lowercased()],
                      let data = fileManager.contents(atPath: candidate + "/" + name) else { continue }
                files[name] = File(bytes: ByteBuffer(bytes: data), contentType: type, etag: "\"\(fnv1a(data))\"")
            }
            return DashboardAssets(files: files, folder: candidate)
        }
        return DashboardAssets(files: [:], folder: nil)
    }

    /// The environment's override, the resource bundle beside the executable (where `swift build` puts it), and the
    /// source folder this file was compiled from (a development checkout).
    static func candidates() -> [String] {
        var list: [String] = []
        if let dir = ProcessInfo.processInfo.environment["MCPWATCH_DASHBOARD_DIR"], !dir.isEmpty { list.append(dir) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let dir = (exe as NSString).deletingLastPathComponent
            list.append(dir + "/mcpwatch_MCPWatchServer.resources/Dashboard")
            list.append(dir + "/mcpwatch_MCPWatchServer.bundle/Contents/Resources/Dashboard")
        }
        list.append(((#filePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("Dashboard"))
        return list
    }

    static let contentTypes = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json; charset=utf-8",
    ]

    /// Total size of the files, in bytes (the budget is 200 KB before compression).
    public var totalBytes: Int { files.values.reduce(0) { $0 + $1.bytes.readableBytes } }

    /// Names of the files served.
    public var names: [String] { files.keys.sorted() }

    /// A file as a response: 304 when the browser's copy is current, gzip when accepted.
    func response(_ name: String, request: Request) -> Response? {
        guard let file = files[name] else { return nil }
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: [.eTag: file.etag, .cacheControl: "no-cache"])
        }
        var response = Response.body(file.bytes, contentType: file.contentType, request: request)
        response.headers[.eTag] = file.etag
        // Revalidate every time: the ETag makes that a 304 without a body, and a new build is seen at once.
        response.headers[.cacheControl] = "no-cache"
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        if name.hasSuffix(".html") {
            response.headers[.init("Content-Security-Policy")!] =
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
            response.headers[.init("Referrer-Policy")!] = "no-referrer"
        }
        return response
    }

    /// What `/` says when the files are missing.
    static let missingPage = """
        <!doctype html><meta charset="utf-8"><title>mcpwatch</title>
        <h1>mcpwatch: the dashboard's files were not found</h1>
        <p>The folder <code>mcpwatch_MCPWatchServer.resources</code> that <code>swift build</code> puts beside the
        <code>mcpwatch</code> binary is missing (set <code>MCPWATCH_DASHBOARD_DIR</code> to a folder holding
        <code>index.html</code>). The JSON API works: <a href="api/report">api/report</a>, <a href="metrics">metrics</a>.</p>
        """

    static func fnv1a(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
