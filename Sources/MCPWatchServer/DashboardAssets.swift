import Foundation
import Hummingbird
import NIOCore

/// The dashboard's static files (HTML, CSS, JavaScript), compiled into the binary from `Dashboard/`.
///
/// They are served from memory with an `ETag`, so a page load costs no disk access, and a copied binary is whole on
/// its own. `MCPWATCH_DASHBOARD_DIR` serves another folder instead (for development: edit a file, reload the page).
public struct DashboardAssets: Sendable {
    /// One file, ready to serve.
    struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var etag: String
    }

    /// Where the files come from.
    public enum Origin: Sendable, Equatable {
        /// The copy compiled into the binary.
        case binary
        /// A folder read at start.
        case folder(String)
        /// Nowhere: the folder asked for has no `index.html`.
        case none
    }

    /// Files by name (`index.html`, `dashboard.js`, ...).
    let files: [String: File]
    /// Where they come from.
    public let origin: Origin

    /// The folder they were read from; nil for the binary's own copy.
    public var folder: String? {
        if case .folder(let path) = origin { return path }
        return nil
    }

    /// The files to serve.
    /// - Parameter folder: read this folder instead (tests); without it, the folder `MCPWATCH_DASHBOARD_DIR` names when
    ///   it holds an `index.html`, else the files compiled into the binary.
    public static func load(folder: String? = nil) -> DashboardAssets {
        if let folder { return read(folder: folder) ?? DashboardAssets(files: [:], origin: .none) }
        if let dir = ProcessInfo.processInfo.environment["MCPWATCH_DASHBOARD_DIR"], !dir.isEmpty, let assets = read(folder: dir) {
            return assets
        }
        return embedded
    }

    /// The files compiled into the binary.
    static let embedded = DashboardAssets(
        files: Dictionary(uniqueKeysWithValues: EmbeddedFiles.dashboard.compactMap { name, bytes in
            file(name: name, bytes: bytes).map { (name, $0) }
        }),
        origin: .binary)

    /// The files of a folder, or nil when it has no `index.html`.
    static func read(folder: String) -> DashboardAssets? {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: folder + "/index.html"),
              let names = try? fileManager.contentsOfDirectory(atPath: folder) else { return nil }
        var files: [String: File] = [:]
        for name in names {
            guard let data = fileManager.contents(atPath: folder + "/" + name), let file = file(name: name, bytes: Array(data)) else { continue }
            files[name] = file
        }
        return DashboardAssets(files: files, origin: .folder(folder))
    }

    /// A file ready to serve, or nil for a kind of file the dashboard does not serve.
    static func file(name: String, bytes: [UInt8]) -> File? {
        guard let type = contentTypes[(name as NSString).pathExtension.lowercased()] else { return nil }
        return File(bytes: ByteBuffer(bytes: bytes), contentType: type, etag: "\"\(fnv1a(bytes))\"")
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

    /// What `/` says when the files are missing (only when a folder was asked for: the binary has its own copy).
    static let missingPage = """
        <!doctype html><meta charset="utf-8"><title>mcpwatch</title>
        <h1>mcpwatch: the dashboard's files were not found</h1>
        <p>The folder given has no <code>index.html</code> (unset <code>MCPWATCH_DASHBOARD_DIR</code> to use the copy in
        the binary). The JSON API works: <a href="api/report">api/report</a>, <a href="metrics">metrics</a>.</p>
        """

    static func fnv1a(_ data: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
