import Foundation

/// The `Mcp-Param-{Name}` headers a 2026-07-28 Streamable HTTP client must send with a `tools/call`: a tool's
/// `inputSchema` may mark parameters with `x-mcp-header`, and the server then rejects a call whose headers do not
/// mirror those arguments (`HeaderMismatch`).
///
/// Pure state: the stdio front learns the marks from each `tools/list` result it relays (only results that mention
/// `x-mcp-header` are decoded) and asks for the headers of each call. Only properties reachable through a chain of
/// `properties` keys count, as the specification says.
public struct ToolParamHeaders: Sendable, Equatable {
    /// Per tool: each marked property's path in the arguments, and its header's name part.
    private var marks: [String: [Mark]] = [:]

    struct Mark: Sendable, Equatable {
        let path: [String]
        let token: String
    }

    /// Creates an empty table.
    public init() {}

    /// Whether any tool marks a parameter.
    public var isEmpty: Bool { marks.isEmpty }

    private static let markKey = Array("x-mcp-header".utf8)

    /// Learns the marks of the tools a `tools/list` result lists (a line from the server; anything else is ignored).
    public mutating func learn(fromResult line: [UInt8]) {
        guard line.withUnsafeBytes({ Self.mentions(Self.markKey, in: $0) }),
              let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
              let result = object["result"] as? [String: Any], let tools = result["tools"] as? [[String: Any]] else { return }
        for tool in tools {
            guard let name = tool["name"] as? String else { continue }
            var found: [Mark] = []
            Self.walk(tool["inputSchema"], path: [], into: &found)
            if found.isEmpty { marks.removeValue(forKey: name) } else { marks[name] = found }
        }
    }

    private static func walk(_ schema: Any?, path: [String], into found: inout [Mark]) {
        guard let schema = schema as? [String: Any] else { return }
        if !path.isEmpty, let token = schema["x-mcp-header"] as? String { found.append(Mark(path: path, token: token)) }
        guard let properties = schema["properties"] as? [String: Any], path.count < 32 else { return }
        for (key, sub) in properties.sorted(by: { $0.key < $1.key }) { walk(sub, path: path + [key], into: &found) }
    }

    /// The `Mcp-Param-*` headers of a `tools/call` line, in a stable order; none when its tool marks nothing.
    public func headers(forCall line: [UInt8]) -> [(String, String)] {
        guard !marks.isEmpty,
              let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
              let params = object["params"] as? [String: Any], let name = params["name"] as? String,
              let toolMarks = marks[name] else { return [] }
        let arguments = params["arguments"] as? [String: Any] ?? [:]
        var out: [(String, String)] = []
        for mark in toolMarks {
            var node: Any? = arguments
            for key in mark.path { node = (node as? [String: Any])?[key] }
            guard let node, let text = Self.rendered(node) else { continue }
            out.append(("Mcp-Param-\(mark.token)", ModernRequest.headerValue(text)))
        }
        return out
    }

    /// A scalar as a header carries it: booleans as `true`/`false`, numbers in decimal, strings as they are.
    static func rendered(_ value: Any) -> String? {
        if let string = value as? String { return string }
        if let number = value as? NSNumber {
            // JSON booleans come back as NSNumbers of type `c` (numbers as `i`, `q` or `d`).
            if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
            if number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 9_007_199_254_740_992 {
                return String(number.int64Value)
            }
            return "\(number.doubleValue)"
        }
        return nil
    }

    static func mentions(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= needle.count else { return false }
        return bytes.withMemoryRebound(to: UInt8.self) { haystack in
            var i = 0
            let last = haystack.count - needle.count
            while i <= last {
                if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
                i += 1
            }
            return false
        }
    }
}
