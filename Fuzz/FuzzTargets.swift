// libFuzzer targets for MCPWatchCore's parsers. Not part of the package: scripts/fuzz compiles this file together
// with Sources/MCPWatchCore into one instrumented binary (-sanitize=fuzzer,address) in .build-fuzz, and picks the
// target with MCPWATCH_FUZZ_TARGET. Each target feeds the input to a parser the relay runs on peer bytes, and
// checks what the parser promises (ranges inside the input, byte counts that add up); a broken promise traps,
// which libFuzzer reports as a crash with its input.
import Foundation

/// The fuzz targets by name (the corpus folder under Fuzz/corpus has the same name).
enum FuzzTarget: String, CaseIterable {
    case framer, inspector, sse, json, config, headers

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["MCPWATCH_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("MCPWATCH_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
        }
        return target
    }()

    func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .framer: Self.framer(input)
        case .inspector: Self.inspector(input)
        case .sse: Self.sse(input)
        case .json: Self.json(input)
        case .config: Self.config(input)
        case .headers: Self.headers(input)
        }
    }

    /// Chunk sizes from the first bytes, so that lines and events are split at every place a pipe or socket may
    /// split them.
    static func chunks(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        guard input.count > 1 else { return body(input) }
        let seed = Int(input[0])
        let data = UnsafeRawBufferPointer(rebasing: input[1...])
        var start = 0, k = 0
        while start < data.count {
            let size = seed == 0 ? data.count : 1 + ((seed &* (k + 7)) % 61)
            let end = min(data.count, start + size)
            body(UnsafeRawBufferPointer(rebasing: data[start..<end]))
            start = end
            k += 1
        }
    }

    /// Lines come out whole and in order: every byte fed is in a line or in a dropped line's length.
    static func framer(_ input: UnsafeRawBufferPointer) {
        var framer = LineFramer(maxLineBytes: 64, oversizedPrefixBytes: 16)
        var accounted = 0, fed = 0
        var finishing = false
        let check: (LineFramer.Event) -> Void = { event in
            switch event {
            case .line(let line):
                precondition(line.count >= 1 && line.count <= 64, "line out of bounds")
                precondition(finishing || line[line.count - 1] == 0x0A, "line without its newline")
                precondition(!line.dropLast().contains(0x0A), "newline inside a line")
                _ = MessageInspector().inspectCopy(line)
                accounted += line.count
            case .oversized(let prefix, let length):
                precondition(prefix.count <= 16 && length > 64, "oversized line out of bounds")
                accounted += length
            }
        }
        chunks(input) { chunk in
            fed += chunk.count
            framer.append(chunk, check)
        }
        finishing = true
        framer.finish(check)
        precondition(accounted == fed, "framer accounted for \(accounted) of \(fed) bytes")
        precondition(framer.bufferedBytes == 0, "bytes left after finish")
    }

    static func inspector(_ input: UnsafeRawBufferPointer) {
        var inspector = MessageInspector()
        _ = inspector.inspect(input)
        _ = inspector.inspect(input, truncated: true)
        let posted = PostedMessage(inspecting: Array(input))
        _ = posted.isInitialize
    }

    /// Events carry at most the limit, and the same bytes in any chunking give the same events.
    static func sse(_ input: UnsafeRawBufferPointer) {
        var whole = SSEEventParser(maxEventBytes: 64)
        var expected: [SSEEventParser.Event] = []
        let data = input.count > 1 ? UnsafeRawBufferPointer(rebasing: input[1...]) : input
        whole.append(data) { expected.append($0) }
        var split = SSEEventParser(maxEventBytes: 64)
        var got: [SSEEventParser.Event] = []
        chunks(input) { split.append($0) { got.append($0) } }
        for event in got { precondition(event.data.count <= 64, "event data over the limit") }
        precondition(got == expected, "chunking changed the events")
        precondition(split.lastEventID == whole.lastEventID, "chunking changed the last event id")
    }

    /// Ranges found lie inside the input; replacing one keeps the rest of the bytes.
    static func json(_ input: UnsafeRawBufferPointer) {
        let paths: [[[UInt8]]] = [[Array("id".utf8)], [Array("method".utf8)], [Array("params".utf8), Array("name".utf8)],
                                  [Array("result".utf8), Array("content".utf8)], [Array("params".utf8), Array("_meta".utf8), Array("progressToken".utf8)]]
        for path in paths {
            if let r = JSONValueLocator.range(of: path, in: input) {
                precondition(r.lowerBound >= 0 && r.upperBound <= input.count, "range outside the input")
                let replaced = JSONValueLocator.replacing(r, in: input, with: Array("1".utf8), newline: true)
                precondition(replaced.count == input.count - r.count + 2, "replacing changed other bytes")
            }
        }
        if let found = JSONValueLocator.idAndMethod(in: input) {
            for r in [found.id, found.method].compactMap({ $0 }) {
                precondition(r.lowerBound >= 0 && r.upperBound <= input.count, "id or method outside the input")
            }
        }
        if let elements = JSONValueLocator.elementRanges(in: input) {
            var last = 0
            for r in elements {
                precondition(r.lowerBound >= last && r.upperBound <= input.count, "batch elements out of order or outside")
                last = r.upperBound
            }
        }
    }

    /// The configuration's value parsing (every key, from `MCPWATCH_...` variables) and the client configuration
    /// files' JSON(C) parser: problems are reported, never a crash.
    static func config(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        _ = try? JSONCParser.parse(bytes, dialect: .jsonc)
        _ = try? JSONCParser.parse(bytes, dialect: .json)
        if !bytes.isEmpty { _ = JSONCParser.lineAndColumn(of: Int(bytes[0]) % bytes.count, in: bytes) }
        // Lines of `index=value`: the index picks a setting, the value is given to it as a variable would be.
        let text = String(decoding: bytes, as: UTF8.self)
        let settings = ConfigSchema.settings
        var environment: [String: String] = [:]
        var entries: [ConfigEntry] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let index = line[..<eq].utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF }
            let setting = settings[index % settings.count]
            let value = String(line[line.index(after: eq)...])
            environment[setting.environmentName] = value
            let parts = setting.key.split(separator: ".")
            let node: ConfigNode = value.contains(",")
                ? .sequence(value.split(separator: ",").map { .scalar(String($0), line: n + 1) }, line: n + 1)
                : .scalar(value, line: n + 1)
            entries.append(ConfigEntry(key: String(parts[0]), line: n + 1,
                value: .mapping([ConfigEntry(key: parts.dropFirst().joined(separator: "."), line: n + 1, value: node)], line: n + 1)))
        }
        var fromEnvironment = WatchConfiguration()
        _ = fromEnvironment.apply(environment: environment)
        var fromFile = WatchConfiguration()
        _ = fromFile.apply(file: .mapping(entries, line: 1), source: "fuzz.yaml")
        _ = fromFile.renderYAML()
    }

    /// The HTTP modes' header checks on a request: Mcp-Method and Mcp-Name against the body, Origin and Host.
    static func headers(_ input: UnsafeRawBufferPointer) {
        // Up to four NUL-separated header values, then the body.
        var fields: [String?] = []
        var rest = input[...]
        for _ in 0..<4 {
            guard let nul = rest.firstIndex(of: 0) else { break }
            let value = String(decoding: rest[..<nul], as: UTF8.self)
            fields.append(value.isEmpty ? nil : value)
            rest = rest[(nul + 1)...]
        }
        while fields.count < 4 { fields.append(nil) }
        let body = PostedMessage(inspecting: Array(rest))
        _ = MCPRequestHeaders.mismatch(method: fields[0], name: fields[1], protocolVersion: fields[2], body: body)
        if let name = fields[1] { _ = MCPRequestHeaders.decodedName(name) }
        let origins = OriginPolicy(servedHost: "127.0.0.1", allowedOrigins: ["https://app.example"])
        _ = origins.allows(origin: fields[3])
        let hosts = HostPolicy(boundHost: "0.0.0.0", allowedHosts: ["mcp.example"], machineNames: ["box"])
        _ = hosts.allows(host: fields[3])
        if let host = fields[3] {
            _ = hosts.refusal(host: host)
            _ = HostPolicy.isLoopback(host)
        }
    }
}

extension MessageInspector {
    /// Inspects a copy (the framer's line buffer is valid only during its callback).
    func inspectCopy(_ bytes: UnsafeRawBufferPointer) -> InspectedFrame {
        var inspector = self
        return inspector.inspect(Array(bytes))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func mcpwatchFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    FuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
