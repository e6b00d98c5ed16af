/// Puts `mcpwatch proxy --name KEY --` in front of each stdio server of a client's configuration, and takes it away
/// again, by splicing the file's text: only the values that change are rewritten, so comments, key order,
/// indentation and every other entry stay byte for byte.
///
/// A wrapped stdio entry's command becomes the mcpwatch executable, and its `args` start with `"proxy", "--name",
/// KEY, "--"` and the old command's literal, written in the array's own layout (or a new `args` member after the
/// command, when there was none). With `remote`, an entry given by URL becomes `mcpwatch proxy --name KEY --upstream
/// URL` (its `url` member replaced by `command` and `args`, a `type` of `http` or `sse` by `stdio`). Every edit is
/// checked before it is made: `unwrap` of the edited text must give back the original bytes exactly, or the entry is
/// left alone and reported as skipped.
public enum ServerWrapper {
    /// How to wrap.
    public struct Options: Sendable {
        /// The command that wrapped entries run (an absolute path, or `mcpwatch` to find it in the client's PATH).
        public var executable: String
        /// Whether servers given by URL are put behind the stdio front too.
        public var remote: Bool

        /// Creates options.
        public init(executable: String, remote: Bool = false) {
            self.executable = executable
            self.remote = remote
        }
    }

    /// The change to one file: its edits, the text they make and what happened to each server.
    public struct Plan: Sendable {
        /// The file before.
        public let original: [UInt8]
        /// The splices, none overlapping.
        public let edits: [TextEdit]
        /// One report per server entry, in the file's order.
        public let entries: [ServerEntryReport]

        /// The file after.
        public var result: [UInt8] { TextEdit.apply(edits, to: original) }
        /// Whether the file changes.
        public var changes: Bool { !edits.isEmpty }
    }

    /// The wrap of a client's file.
    /// - Throws: ``WatchError`` (`invalidArgument`) when the text is not valid in the client's dialect.
    public static func wrap(_ bytes: [UInt8], client: ClientKind, options: Options) throws -> Plan {
        let root = try JSONCParser.parse(bytes, dialect: client.dialect)
        var edits: [TextEdit] = []
        var reports: [ServerEntryReport] = []
        let executable = Array(jsonString(options.executable).utf8)
        for entry in entries(of: root, client: client) {
            let text = Text(bytes: bytes)
            let outcome: ServerEntryReport.Outcome
            switch classify(entry.member.value, executable: options.executable) {
            case .invalid(let reason):
                outcome = .skipped(reason: reason)
            case .wrapped(let argv, _), .byHand(let argv):
                outcome = .alreadyWrapped(argv: argv)
            case .stdio(let command, let arguments):
                let candidates = stdioWrapCandidates(entry, text: text, executable: executable)
                if let chosen = candidates.first(where: { reversible($0, entry: entry, bytes: bytes, client: client, executable: options.executable) }) {
                    edits += chosen
                    outcome = .wrapped(argv: [options.executable, "proxy", "--name", entry.member.key, "--", command] + arguments)
                } else {
                    outcome = .skipped(reason: "it could not be wrapped so that unwrap gives it back exactly")
                }
            case .remote(let url, let sse):
                let monitor = ["mcpwatch", "proxy", "--name", entry.member.key, "--upstream", url] + (sse ? ["--upstream-transport", "sse"] : [])
                guard options.remote else {
                    outcome = .remote(url: url, monitor: monitor)
                    break
                }
                if let headers = entry.member.value["headers"], headers.members?.isEmpty != true {
                    outcome = .skipped(reason: "it sends headers, which mcpwatch proxy --upstream cannot send; to monitor it without them: \(monitor.joined(separator: " "))")
                } else if let chosen = remoteWrapEdits(entry, text: text, executable: executable, sse: sse),
                          reversible(chosen, entry: entry, bytes: bytes, client: client, executable: options.executable) {
                    edits += chosen
                    outcome = .wrapped(argv: [options.executable] + monitor.dropFirst())
                } else {
                    outcome = .skipped(reason: "it could not be wrapped so that unwrap gives it back exactly")
                }
            }
            reports.append(ServerEntryReport(table: entry.table, key: entry.member.key, outcome: outcome))
        }
        return Plan(original: bytes, edits: edits, entries: reports)
    }

    /// The unwrap of a client's file: every entry that `wrap` wrapped gets back its bytes from before.
    /// - Parameter executable: a command that counts as mcpwatch besides any whose file name is `mcpwatch`.
    /// - Throws: ``WatchError`` (`invalidArgument`) when the text is not valid in the client's dialect.
    public static func unwrap(_ bytes: [UInt8], client: ClientKind, executable: String? = nil) throws -> Plan {
        let root = try JSONCParser.parse(bytes, dialect: client.dialect)
        var edits: [TextEdit] = []
        var reports: [ServerEntryReport] = []
        let text = Text(bytes: bytes)
        for entry in entries(of: root, client: client) {
            let outcome: ServerEntryReport.Outcome
            switch classify(entry.member.value, executable: executable) {
            case .invalid(let reason):
                outcome = .skipped(reason: reason)
            case .stdio, .remote:
                outcome = .notWrapped
            case .byHand(let argv):
                outcome = .wrappedByHand(argv: argv)
            case .wrapped(let argv, let shape):
                if let undo = unwrapEdits(entry.member.value, shape: shape, text: text) {
                    edits += undo.edits
                    outcome = .unwrapped(argv: undo.url == nil ? Array(argv.dropFirst(5)) : nil, url: undo.url)
                } else {
                    outcome = .wrappedByHand(argv: argv)
                }
            }
            reports.append(ServerEntryReport(table: entry.table, key: entry.member.key, outcome: outcome))
        }
        return Plan(original: bytes, edits: edits, entries: reports)
    }

    /// A JSON string literal for a text.
    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count) + String(c.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: - Entries

    private struct Entry {
        let table: [String]
        let index: Int
        let member: JSONCNode.Member
    }

    private static func entries(of root: JSONCNode, client: ClientKind) -> [Entry] {
        client.serverTables(in: root).flatMap { table in
            (table.table.members ?? []).enumerated().map { Entry(table: table.path, index: $0.offset, member: $0.element) }
        }
    }

    private static func entry(at table: [String], index: Int, in root: JSONCNode, client: ClientKind) -> Entry? {
        guard let found = client.serverTables(in: root).first(where: { $0.path == table }),
              let members = found.table.members, index < members.count else { return nil }
        return Entry(table: table, index: index, member: members[index])
    }

    /// How `wrap` wrote an entry.
    private enum Shape { case stdio, remote(sse: Bool) }

    private enum Kind {
        case stdio(command: String, arguments: [String])
        case remote(url: String, sse: Bool)
        case wrapped(argv: [String], shape: Shape)
        case byHand(argv: [String])
        case invalid(String)
    }

    /// What an entry is. A command counts as mcpwatch when its file name is `mcpwatch` or it is `executable`.
    private static func classify(_ node: JSONCNode, executable: String?) -> Kind {
        guard node.members != nil else { return .invalid("it is not an object") }
        if let commandNode = node["command"] {
            guard let command = commandNode.string else { return .invalid("its command is not a string") }
            var arguments: [String] = []
            if let args = node["args"] {
                guard let elements = args.elements else { return .invalid("its args is not a list") }
                let strings = elements.compactMap(\.string)
                guard strings.count == elements.count else { return .invalid("its args are not all strings") }
                arguments = strings
            }
            let name = command.split(separator: "/").last.map(String.init) ?? command
            guard name == "mcpwatch" || command == executable, arguments.first == "proxy" else { return .stdio(command: command, arguments: arguments) }
            let argv = [command] + arguments
            if arguments.count >= 5 && arguments[1] == "--name" && arguments[3] == "--" { return .wrapped(argv: argv, shape: .stdio) }
            if arguments[1...].starts(with: ["--name"]) && arguments.count >= 5 && arguments[3] == "--upstream" {
                if arguments.count == 5 { return .wrapped(argv: argv, shape: .remote(sse: false)) }
                if arguments.count == 7 && arguments[5] == "--upstream-transport" { return .wrapped(argv: argv, shape: .remote(sse: arguments[6] == "sse")) }
            }
            return .byHand(argv: argv)
        }
        if let urlNode = node["url"] {
            guard let url = urlNode.string else { return .invalid("its url is not a string") }
            return .remote(url: url, sse: node["type"]?.string == "sse")
        }
        return .invalid("it has neither a command nor a url")
    }

    // MARK: - Text

    /// The file's bytes, with the layout questions the splices ask of it.
    private struct Text {
        let bytes: [UInt8]

        func raw(_ range: Range<Int>) -> [UInt8] { Array(bytes[range]) }

        /// A line break and the indentation of the line, when `offset` is the first thing on its line (`\r\n` when
        /// the file breaks lines that way); nil when something else comes before it on the line.
        func lineBreak(before offset: Int) -> [UInt8]? {
            var start = offset
            while start > 0 && (bytes[start - 1] == 0x20 || bytes[start - 1] == 0x09) { start -= 1 }
            guard start > 0, bytes[start - 1] == 0x0A else { return nil }
            let crlf = start >= 2 && bytes[start - 2] == 0x0D
            return (crlf ? [0x0D, 0x0A] : [0x0A]) + bytes[start..<offset]
        }

        /// What separates a new member from the one before it, laid out as `member` is.
        func memberSeparator(before member: JSONCNode.Member) -> [UInt8] {
            Array(",".utf8) + (lineBreak(before: member.keyRange.lowerBound) ?? [0x20])
        }

        /// What stands between a member's key and its value (`: `, `:`).
        func colon(of member: JSONCNode.Member) -> [UInt8] {
            raw(member.keyRange.upperBound..<member.value.range.lowerBound)
        }
    }

    private static func joined(_ parts: [[UInt8]], _ separator: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if index > 0 { out += separator }
            out += part
        }
        return out
    }

    private static func literal(_ text: String) -> [UInt8] { Array(jsonString(text).utf8) }

    // MARK: - Wrap

    private static func stdioWrapCandidates(_ entry: Entry, text: Text, executable: [UInt8]) -> [[TextEdit]] {
        let node = entry.member.value
        guard let command = node.member("command") else { return [] }
        let prefix = [literal("proxy"), literal("--name"), text.raw(entry.member.keyRange), literal("--"), text.raw(command.value.range)]
        let setCommand = TextEdit(command.value.range, executable)
        guard let args = node.member("args"), let elements = args.value.elements else {
            let insertion = text.memberSeparator(before: command) + literal("args") + text.colon(of: command)
                + Array("[".utf8) + joined(prefix, Array(", ".utf8)) + Array("]".utf8)
            let end = command.value.range.upperBound
            return [[setCommand, TextEdit(end..<end, insertion)]]
        }
        guard let first = elements.first else {
            let inside = args.value.range.lowerBound + 1
            return [Array(", ".utf8), Array(",".utf8)].map { separator in
                [setCommand, TextEdit(inside..<inside, joined(prefix, separator))]
            }
        }
        let own = Array(",".utf8) + (text.lineBreak(before: first.range.lowerBound) ?? [0x20])
        var separators = [own]
        if own != Array(", ".utf8) { separators.append(Array(", ".utf8)) }
        let start = first.range.lowerBound
        return separators.map { separator in
            [setCommand, TextEdit(start..<start, joined(prefix, separator) + separator)]
        }
    }

    private static func remoteWrapEdits(_ entry: Entry, text: Text, executable: [UInt8], sse: Bool) -> [TextEdit]? {
        let node = entry.member.value
        guard let url = node.member("url") else { return nil }
        var arguments = [literal("proxy"), literal("--name"), text.raw(entry.member.keyRange), literal("--upstream"), text.raw(url.value.range)]
        if sse { arguments += [literal("--upstream-transport"), literal("sse")] }
        let colon = text.colon(of: url)
        let replacement = literal("command") + colon + executable + text.memberSeparator(before: url)
            + literal("args") + colon + Array("[".utf8) + joined(arguments, Array(", ".utf8)) + Array("]".utf8)
        var edits = [TextEdit(url.keyRange.lowerBound..<url.value.range.upperBound, replacement)]
        if let type = node["type"] { edits.append(TextEdit(type.range, literal("stdio"))) }
        return edits
    }

    /// Whether `unwrap` of the text with these edits gives back `bytes` exactly.
    private static func reversible(_ edits: [TextEdit], entry: Entry, bytes: [UInt8], client: ClientKind, executable: String) -> Bool {
        let wrapped = TextEdit.apply(edits, to: bytes)
        guard let root = try? JSONCParser.parse(wrapped, dialect: client.dialect),
              let again = self.entry(at: entry.table, index: entry.index, in: root, client: client),
              case .wrapped(_, let shape) = classify(again.member.value, executable: executable),
              let undo = unwrapEdits(again.member.value, shape: shape, text: Text(bytes: wrapped)) else { return false }
        return TextEdit.apply(undo.edits, to: wrapped) == bytes
    }

    // MARK: - Unwrap

    private static func unwrapEdits(_ node: JSONCNode, shape: Shape, text: Text) -> (edits: [TextEdit], url: String?)? {
        guard let command = node.member("command"), let args = node.member("args"), let elements = args.value.elements else { return nil }
        switch shape {
        case .stdio:
            let original = text.raw(elements[4].range)
            let restore = TextEdit(command.value.range, original)
            let added = text.memberSeparator(before: command) + literal("args") + text.colon(of: command)
                + Array("[".utf8) + joined(elements[0..<5].map { text.raw($0.range) }, Array(", ".utf8)) + Array("]".utf8)
            let afterCommand = command.value.range.upperBound
            if elements.count == 5, args.value.range.upperBound >= afterCommand,
               text.raw(afterCommand..<args.value.range.upperBound) == added {
                return ([restore, TextEdit(afterCommand..<args.value.range.upperBound, [])], nil)
            }
            let end = elements.count == 5 ? elements[4].range.upperBound : elements[5].range.lowerBound
            return ([restore, TextEdit(elements[0].range.lowerBound..<end, [])], nil)
        case .remote(let sse):
            guard command.value.range.upperBound <= args.keyRange.lowerBound else { return nil }
            let between = text.raw(command.value.range.upperBound..<args.keyRange.lowerBound)
            guard between.first == UInt8(ascii: ","), between.dropFirst().allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return nil }
            let url = elements[4]
            var edits = [TextEdit(command.keyRange.lowerBound..<args.value.range.upperBound, literal("url") + text.colon(of: command) + text.raw(url.range))]
            if let type = node["type"], type.string == "stdio" { edits.append(TextEdit(type.range, literal(sse ? "sse" : "http"))) }
            return (edits, url.string)
        }
    }
}
