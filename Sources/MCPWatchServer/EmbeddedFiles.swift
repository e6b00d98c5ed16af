import CEmbeddedFiles

/// The files compiled into the binary (the `CEmbeddedFiles` target): the OpenAPI document and the dashboard's files.
///
/// They are copied out once, at first use; the binary needs nothing beside it to serve them.
enum EmbeddedFiles {
    /// `docs/openapi.json`, served at `/api/openapi.json`.
    static let openAPIDocument: [UInt8] = bytes(of: mcpwatch_openapi_document())

    /// The files of `Dashboard/`, by name.
    static let dashboard: [(name: String, bytes: [UInt8])] = (0..<mcpwatch_dashboard_file_count()).map { index in
        let file = mcpwatch_dashboard_file(index)
        return (String(cString: file.name), bytes(of: file))
    }

    private static func bytes(of file: mcpwatch_embedded_file) -> [UInt8] {
        Array(UnsafeBufferPointer(start: file.bytes, count: file.count))
    }
}
