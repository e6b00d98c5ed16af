import Foundation
import MCPWatchCore

/// What a run calls: one or more tools, each with a weight and argument objects that are used in turn.
///
/// From `--tool NAME --args JSON`, or from a `--mix` file:
///
///     [{"tool": "echo", "weight": 3, "args": [{"text": "a"}, {"text": "b"}]},
///      {"tool": "noop"}]
///
/// `weight` (a positive whole number, default 1) sets each tool's share of the calls; `args` is one object or a
/// list of objects (default `{}`), used in turn each time that tool is chosen.
public struct ToolMix: Sendable, Equatable {
    /// One tool of the mix.
    public struct Entry: Sendable, Equatable {
        /// The tool's name, as `tools/call` sends it.
        public var tool: String
        /// Its share of the calls, relative to the other entries.
        public var weight: Int
        /// Argument objects, each as JSON text on one line, used in turn.
        public var arguments: [String]

        /// Creates an entry.
        public init(tool: String, weight: Int = 1, arguments: [String] = ["{}"]) {
            self.tool = tool
            self.weight = weight
            self.arguments = arguments
        }
    }

    /// The tools called, in the order given.
    public var entries: [Entry]

    /// Creates a mix from entries already checked.
    public init(entries: [Entry]) { self.entries = entries }

    /// A mix of one tool with one argument object.
    /// - Parameters:
    ///   - tool: the tool's name.
    ///   - argumentsJSON: a JSON object, as given to `--args`; kept as written (line breaks become spaces).
    /// - Throws: ``WatchError`` with code `invalidArgument` when the arguments are not a JSON object.
    public static func single(tool: String, argumentsJSON: String) throws(WatchError) -> ToolMix {
        guard !tool.isEmpty else { throw WatchError(.invalidArgument, "--tool needs a tool name") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(argumentsJSON.utf8), options: [.fragmentsAllowed])
        } catch {
            throw WatchError(.invalidArgument, "--args is not valid JSON: \(argumentsJSON) (give an object, e.g. --args '{\"text\":\"hi\"}')")
        }
        guard object is [String: Any] else {
            throw WatchError(.invalidArgument, "--args must be a JSON object, e.g. --args '{\"text\":\"hi\"}', not \(argumentsJSON)")
        }
        // In valid JSON a line break can only be whitespace between tokens, so this keeps the meaning exactly.
        let oneLine = String(decoding: argumentsJSON.utf8.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }, as: UTF8.self)
        return ToolMix(entries: [Entry(tool: tool, arguments: [oneLine])])
    }

    /// Reads and parses a mix file.
    /// - Throws: ``WatchError`` with code `invalidMixFile`: the file cannot be read (and why: missing, a directory,
    ///   no permission), or it is not a valid mix.
    public static func load(path: String) throws(WatchError) -> ToolMix {
        func fail(_ reason: String) -> WatchError { WatchError(.invalidMixFile, "cannot read the mix file \(path): \(reason)") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail(String(cString: strerror(errno))) }
        if info.st_mode & S_IFMT == S_IFDIR { throw fail("it is a directory") }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(String(cString: strerror(errno)))
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.count > 64 << 20 { throw fail("it is larger than 64 MiB") }
        }
        return try parse(data, source: path)
    }

    /// Where and why JSON parsing failed, as `: line 2, column 15: invalid value`, when the error says where.
    static func whereJSONFailed(_ error: any Error, in data: Data) -> String {
        let text = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
        // Foundation says "Invalid value around character 32." (a byte offset from 0); people count lines.
        guard let range = text.range(of: "around character "),
              let offset = Int(text[range.upperBound...].prefix { $0.isNumber }), offset <= data.count
        else {
            let reason = text.hasSuffix(".") ? String(text.dropLast()) : text
            return reason.isEmpty ? "" : ": " + reason.prefix(1).lowercased() + reason.dropFirst()
        }
        let what = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        var line = 1
        var column = 1
        for byte in data.prefix(offset) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // count characters, not UTF-8 continuation bytes
                column += 1
            }
        }
        return " at line \(line), column \(column)\(what.isEmpty ? "" : ": \(what.prefix(1).lowercased() + what.dropFirst())")"
    }

    /// Parses a mix file.
    /// - Parameters:
    ///   - data: the file's content.
    ///   - source: the file's name, for messages.
    /// - Throws: ``WatchError`` with code `invalidMixFile`, saying which entry is wrong and why.
    public static func parse(_ data: Data, source: String) throws(WatchError) -> ToolMix {
        func fail(_ message: String) -> WatchError { WatchError(.invalidMixFile, "mix file \(source): \(message)") }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw fail("not valid JSON\(Self.whereJSONFailed(error, in: data))")
        }
        guard let list = root as? [Any] else {
            throw fail(#"expected a list like [{"tool":"echo","weight":3,"args":[{"text":"a"}]}]"#)
        }
        guard !list.isEmpty else { throw fail("the list is empty: name at least one tool") }
        var entries: [Entry] = []
        for (index, item) in list.enumerated() {
            let at = "entry \(index + 1)"
            guard let object = item as? [String: Any] else { throw fail("\(at) is not an object") }
            if let unknown = object.keys.sorted().first(where: { !["tool", "weight", "args"].contains($0) }) {
                throw fail("\(at) has an unknown key `\(unknown)` (known: tool, weight, args)")
            }
            guard let tool = object["tool"] as? String, !tool.isEmpty else { throw fail("\(at) needs \"tool\": a tool name") }
            var weight = 1
            if let value = object["weight"] {
                guard let number = value as? NSNumber, !Self.isBoolean(number), number.doubleValue == number.doubleValue.rounded(),
                      number.doubleValue >= 1, number.doubleValue <= 1_000_000
                else {
                    throw fail("\(at) (\(tool)): weight must be a whole number from 1 to 1000000")
                }
                weight = number.intValue
            }
            var arguments: [String] = ["{}"]
            if let value = object["args"] {
                let objects: [Any] = (value as? [Any]) ?? [value]
                guard !objects.isEmpty else { throw fail("\(at) (\(tool)): args is an empty list; leave it out to call with {}") }
                arguments = []
                for argument in objects {
                    guard argument is [String: Any] else { throw fail("\(at) (\(tool)): args must be an object or a list of objects") }
                    do {
                        let encoded = try JSONSerialization.data(withJSONObject: argument, options: [.sortedKeys, .withoutEscapingSlashes])
                        arguments.append(String(decoding: encoded, as: UTF8.self))
                    } catch {
                        throw fail("\(at) (\(tool)): cannot encode args (\(error.localizedDescription))")
                    }
                }
            }
            entries.append(Entry(tool: tool, weight: weight, arguments: arguments))
        }
        return ToolMix(entries: entries)
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        // JSON true/false arrive as NSNumber too (and `is Bool` is true even for 1); the type encoding tells them apart.
        String(cString: number.objCType) == "c"
    }

    /// A short description for reports: `echo`, or `echo×3, noop×1`.
    public var summary: String {
        entries.count == 1 ? entries[0].tool : entries.map { "\($0.tool)×\($0.weight)" }.joined(separator: ", ")
    }

    /// A fresh chooser of calls, starting from the beginning.
    public func makeSelector() -> Selector { Selector(weights: entries.map(\.weight), variants: entries.map(\.arguments.count)) }

    /// The first bytes of a `tools/call` request for one entry and argument object, up to the id's value:
    /// the id goes last so that each request costs one copy and a few digits.
    func requestPrefix(entry: Int, arguments: Int) -> [UInt8] {
        let item = entries[entry]
        let text = #"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"#
            + JSONRPCErrorResponse.jsonString(item.tool) + #","arguments":"# + item.arguments[arguments] + #"},"id":"#
        return Array(text.utf8)
    }
}

extension ToolMix {
    /// Chooses the next call: a tool by weight, spread evenly (smooth weighted round robin, as nginx balances
    /// upstreams), and that tool's next argument object in turn.
    ///
    /// Deterministic, so that two runs of the same mix send the same sequence and a baseline compares like with like:
    /// weights 3 and 1 give `A A B A` in every window of 4 calls.
    public struct Selector: Sendable {
        private let weights: [Int]
        private let variants: [Int]
        private let total: Int
        private var current: [Int]
        private var cursor: [Int]

        init(weights: [Int], variants: [Int]) {
            self.weights = weights
            self.variants = variants
            self.total = weights.reduce(0, +)
            self.current = Array(repeating: 0, count: weights.count)
            self.cursor = Array(repeating: 0, count: weights.count)
        }

        /// The next call: the index of the entry and the index of its argument object.
        public mutating func next() -> (entry: Int, arguments: Int) {
            var best = 0
            if weights.count > 1 {
                for i in weights.indices {
                    current[i] += weights[i]
                    if current[i] > current[best] { best = i }
                }
                current[best] -= total
            }
            let variant = cursor[best]
            cursor[best] = variant + 1 == variants[best] ? 0 : variant + 1
            return (best, variant)
        }
    }
}
