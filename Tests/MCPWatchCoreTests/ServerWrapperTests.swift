import Foundation
import MCPWatchCore
import Testing

@Suite struct ServerWrapperTests {
    static let mcpwatch = "/home/me/.local/bin/mcpwatch"

    private func wrap(_ text: String, _ client: ClientKind, remote: Bool = false, executable: String = mcpwatch) throws -> ServerWrapper.Plan {
        try ServerWrapper.wrap(Array(text.utf8), client: client, options: .init(executable: executable, remote: remote))
    }

    private func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The servers of a (wrapped) file, decoded: key to command line, or to URL.
    private func servers(_ bytes: [UInt8], _ client: ClientKind) throws -> [String: [String]] {
        let root = try JSONCParser.parse(bytes, dialect: client.dialect)
        var out: [String: [String]] = [:]
        for table in client.serverTables(in: root) {
            for member in table.table.members ?? [] {
                let node = member.value
                if let command = node["command"]?.string {
                    out[member.key] = [command] + (node["args"]?.elements ?? []).compactMap(\.string)
                } else if let url = node["url"]?.string {
                    out[member.key] = ["url", url]
                }
            }
        }
        return out
    }

    /// Wrap changes what it should, unwrap gives back the file byte for byte, and a second wrap changes nothing.
    private func roundTrip(_ text: String, _ client: ClientKind, remote: Bool = false) throws -> ServerWrapper.Plan {
        let plan = try wrap(text, client, remote: remote)
        let wrapped = plan.result
        _ = try JSONCParser.parse(wrapped, dialect: client.dialect)
        let again = try ServerWrapper.wrap(wrapped, client: client, options: .init(executable: Self.mcpwatch, remote: remote))
        #expect(!again.changes, "a second wrap changed \(string(again.result))")
        let unwrapped = try ServerWrapper.unwrap(wrapped, client: client)
        #expect(string(unwrapped.result) == text)
        #expect(unwrapped.result == Array(text.utf8))
        let unwrappedAgain = try ServerWrapper.unwrap(unwrapped.result, client: client)
        #expect(!unwrappedAgain.changes)
        return plan
    }

    @Test func claudeDesktopGetsEachStdioServerPrefixedInItsOwnLayout() throws {
        let plan = try roundTrip(ClientConfigFixtures.claudeDesktop, .claudeDesktop)
        #expect(string(plan.result) == """
            {
              "mcpServers": {
                "filesystem": {
                  "command": "/home/me/.local/bin/mcpwatch",
                  "args": [
                    "proxy",
                    "--name",
                    "filesystem",
                    "--",
                    "npx",
                    "-y",
                    "@modelcontextprotocol/server-filesystem",
                    "/Users/me/Desktop"
                  ]
                },
                "time": {
                  "command": "/home/me/.local/bin/mcpwatch",
                  "args": ["proxy", "--name", "time", "--", "uvx", "mcp-server-time", "--local-timezone=Europe/Paris"]
                },
                "sqlite": {
                  "command": "/home/me/.local/bin/mcpwatch",
                  "args": ["proxy", "--name", "sqlite", "--", "/usr/local/bin/mcp-server-sqlite"],
                  "env": { "DB_PATH": "/tmp/test.db" }
                },
                "quiet": { "command": "/home/me/.local/bin/mcpwatch", "args": ["proxy","--name","quiet","--","quiet-server"] }
              },
              "globalShortcut": "Ctrl+Space"
            }

            """)
        // "quiet" is written compactly: `"args": ["proxy", ...]` right after the command is what wrap writes for an
        // entry without args, so unwrap would take it for one and drop its empty args.
        #expect(plan.entries.map(\.key) == ["filesystem", "time", "sqlite", "quiet"])
        #expect(plan.entries[1].outcome == .wrapped(argv: [Self.mcpwatch, "proxy", "--name", "time", "--", "uvx", "mcp-server-time", "--local-timezone=Europe/Paris"]))
    }

    @Test func claudeCodeWrapsUserAndProjectServersAndListsRemoteOnes() throws {
        let plan = try roundTrip(ClientConfigFixtures.claudeCode, .claudeCode)
        let after = try servers(plan.result, .claudeCode)
        #expect(after["fetch"] == [Self.mcpwatch, "proxy", "--name", "fetch", "--", "uvx", "mcp-server-fetch"])
        #expect(after["db"] == [Self.mcpwatch, "proxy", "--name", "db", "--", "npx", "-y", "@bytebase/dbhub", "--dsn", "postgres://localhost/app"])
        #expect(after["sentry"] == ["url", "https://mcp.sentry.dev/mcp"])
        #expect(plan.entries.map(\.table) == [["mcpServers"], ["mcpServers"], ["mcpServers"], ["projects", "/home/me/src/app", "mcpServers"]])
        #expect(plan.entries[0].outcome == .remote(url: "https://mcp.sentry.dev/mcp", monitor: ["mcpwatch", "proxy", "--name", "sentry", "--upstream", "https://mcp.sentry.dev/mcp"]))
        #expect(plan.entries[1].outcome == .remote(url: "https://mcp.asana.com/sse", monitor: ["mcpwatch", "proxy", "--name", "asana", "--upstream", "https://mcp.asana.com/sse", "--upstream-transport", "sse"]))
        // Only the two commands' lines and the lines of the two args arrays' first elements changed.
        let diff = UnifiedDiff.render(plan.original, edits: plan.edits, oldLabel: "a", newLabel: "b")
        let removed = diff.split(separator: "\n").filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }
        #expect(removed == [#"-      "command": "uvx","#, #"-        "mcp-server-fetch""#, #"-          "command": "npx","#, #"-            "-y","#])
    }

    @Test func remoteServersGoBehindTheStdioFrontOnlyWhenAskedAndComeBackExactly() throws {
        let plan = try roundTrip(ClientConfigFixtures.claudeCode, .claudeCode, remote: true)
        let text = string(plan.result)
        #expect(text.contains("""
                "sentry": {
                  "type": "stdio",
                  "command": "/home/me/.local/bin/mcpwatch",
                  "args": ["proxy", "--name", "sentry", "--upstream", "https://mcp.sentry.dev/mcp"]
                },
            """))
        #expect(try servers(plan.result, .claudeCode)["asana"] == [Self.mcpwatch, "proxy", "--name", "asana", "--upstream", "https://mcp.asana.com/sse", "--upstream-transport", "sse"])
        let unwrapped = try ServerWrapper.unwrap(plan.result, client: .claudeCode)
        #expect(unwrapped.entries[0].outcome == .unwrapped(argv: nil, url: "https://mcp.sentry.dev/mcp"))
    }

    @Test func cursorLeavesAServerWithHeadersAloneEvenWithRemote() throws {
        let plan = try roundTrip(ClientConfigFixtures.cursor, .cursor, remote: true)
        let after = try servers(plan.result, .cursor)
        #expect(after["playwright"] == [Self.mcpwatch, "proxy", "--name", "playwright", "--", "npx", "-y", "@playwright/mcp@latest"])
        #expect(after["context7"] == ["url", "https://mcp.context7.com/mcp"])
        #expect(after["linear"] == [Self.mcpwatch, "proxy", "--name", "linear", "--upstream", "https://mcp.linear.app/sse"])
        guard case .skipped(let reason) = plan.entries[1].outcome else { Issue.record("context7 was \(plan.entries[1].outcome)"); return }
        #expect(reason.contains("headers"))
        #expect(string(plan.result).contains(#""linear": {"# + "\n" + #"      "command": "/home/me/.local/bin/mcpwatch","# + "\n" + #"      "args": ["#))
    }

    @Test func vscodeKeepsCommentsTrailingCommasTabsAndInputs() throws {
        let plan = try roundTrip(ClientConfigFixtures.vscode, .vscode, remote: true)
        let text = string(plan.result)
        #expect(text.contains(#""args": ["proxy", "--name", "time", "--", "uvx", "mcp-server-time", "--local-timezone=${env:TZ}"], // after the args"#))
        #expect(text.contains("// Inputs are asked for the first time a server starts."))
        #expect(text.contains("/* The time server, with its own time zone. */"))
        #expect(text.contains("\t\t\"command\": \"/home/me/.local/bin/mcpwatch\",\n\t\t\"args\": [\"proxy\", \"--name\", \"perplexity\", \"--\", \"npx\", \"-y\""))
        #expect(text.contains(#""type": "stdio","# + "\n" + #"      "command": "/home/me/.local/bin/mcpwatch","# + "\n" + #"      "args": ["proxy", "--name", "github", "--upstream", "https://api.githubcopilot.com/mcp/"],"#))
        // Strict JSON refuses what VS Code's JSONC allows.
        #expect(throws: WatchError.self) { try wrap(ClientConfigFixtures.vscode, .cursor) }
    }

    @Test func entriesWrappedByHandAreLeftAloneByBoth() throws {
        let text = """
            {"mcpServers": {"time": {"command": "mcpwatch", "args": ["proxy", "--report-file", "/tmp/r.json", "--", "uvx", "mcp-server-time"]}}}
            """
        let wrapped = try wrap(text, .claudeDesktop)
        #expect(!wrapped.changes)
        #expect(wrapped.entries[0].outcome == .alreadyWrapped(argv: ["mcpwatch", "proxy", "--report-file", "/tmp/r.json", "--", "uvx", "mcp-server-time"]))
        let unwrapped = try ServerWrapper.unwrap(Array(text.utf8), client: .claudeDesktop)
        #expect(!unwrapped.changes)
        guard case .wrappedByHand = unwrapped.entries[0].outcome else { Issue.record("\(unwrapped.entries[0].outcome)"); return }
    }

    @Test func awkwardLayoutsStillComeBackByteForByte() throws {
        let cases = [
            // An empty args right after the command, laid out as wrap would add one.
            "{\n  \"mcpServers\": {\n    \"a\": {\n      \"command\": \"srv\",\n      \"args\": []\n    }\n  }\n}\n",
            // CRLF line ends, no args, no final newline.
            "{\r\n  \"mcpServers\": {\r\n    \"a\": {\r\n      \"command\": \"srv\"\r\n    }\r\n  }\r\n}",
            // Compact, escapes in the key and the command, unicode.
            #"{"mcpServers":{"we\"ird\u00e9":{"command":"C:\\srv\/x","args":["--flag"],"env":{}}}}"#,
            // Spaces before colons and commas, args before the command.
            #"{ "mcpServers" : { "a" : { "args" : [ "x" , "y" ] , "command" : "srv" } } }"#,
            // A remote entry written compactly.
            #"{"mcpServers":{"r":{"type":"http","url":"http://127.0.0.1:8000/mcp"}}}"#,
        ]
        for text in cases {
            let plan = try roundTrip(text, .claudeCode, remote: true)
            #expect(plan.changes, "nothing wrapped in \(text)")
            let entry = plan.entries[0]
            guard case .wrapped(let argv) = entry.outcome else { Issue.record("\(text): \(entry.outcome)"); continue }
            #expect(try servers(plan.result, .claudeCode)[entry.key] == argv)
        }
        let weird = try wrap(cases[2], .claudeCode)
        #expect(try servers(weird.result, .claudeCode)["we\"irdé"] == [Self.mcpwatch, "proxy", "--name", "we\"irdé", "--", "C:\\srv/x", "--flag"])
    }

    @Test func anExecutableNeedingEscapesIsWrittenAsJSON() throws {
        let plan = try wrap(#"{"mcpServers":{"a":{"command":"srv"}}}"#, .claudeDesktop, executable: #"/opt/my "tools"\mcpwatch"#)
        #expect(try servers(plan.result, .claudeDesktop)["a"] == [#"/opt/my "tools"\mcpwatch"#, "proxy", "--name", "a", "--", "srv"])
        // Its file name is not mcpwatch: it counts as mcpwatch when named.
        #expect(try ServerWrapper.unwrap(plan.result, client: .claudeDesktop, executable: #"/opt/my "tools"\mcpwatch"#).result == Array(#"{"mcpServers":{"a":{"command":"srv"}}}"#.utf8))
        #expect(try !ServerWrapper.unwrap(plan.result, client: .claudeDesktop).changes)
    }

    @Test func invalidFilesAreRefusedWithWhereTheProblemIs() throws {
        let trailing = "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"srv\"},\n  }\n}\n"
        #expect(throws: WatchError(.invalidArgument, "line 3, column 28: a trailing comma, which JSON does not allow")) { try wrap(trailing, .claudeDesktop) }
        #expect(throws: WatchError.self) { try wrap("{\"mcpServers\": {\"a\": {\"command\": \"srv\"}", .claudeDesktop) }
        #expect(throws: WatchError.self) { try ServerWrapper.unwrap(Array("".utf8), client: .claudeDesktop) }
        #expect(try wrap(trailing, .vscode).entries.isEmpty, "VS Code's servers are under \"servers\"")
    }

    @Test func oddEntriesAreSkippedWithAReason() throws {
        let text = #"{"mcpServers":{"a":"npx","b":{"command":["npx"]},"c":{"command":"x","args":"y"},"d":{"disabled":true}}}"#
        let plan = try wrap(text, .claudeDesktop)
        #expect(!plan.changes)
        #expect(plan.entries.map(\.outcome) == [
            .skipped(reason: "it is not an object"), .skipped(reason: "its command is not a string"),
            .skipped(reason: "its args is not a list"), .skipped(reason: "it has neither a command nor a url"),
        ])
    }

    @Test func filesAreFoundWhereEachClientKeepsThem() {
        #expect(ClientKind.claudeDesktop.configFiles(home: "/h", project: "/p", platform: .linux) == ["/h/.config/Claude/claude_desktop_config.json"])
        #expect(ClientKind.claudeDesktop.configFiles(home: "/h", project: "/p", configHome: "/x", platform: .linux) == ["/x/Claude/claude_desktop_config.json"])
        #expect(ClientKind.claudeDesktop.configFiles(home: "/h", project: "/p", platform: .macOS) == ["/h/Library/Application Support/Claude/claude_desktop_config.json"])
        #expect(ClientKind.claudeCode.configFiles(home: "/h", project: "/p") == ["/h/.claude.json", "/p/.mcp.json"])
        #expect(ClientKind.cursor.configFiles(home: "/h", project: "/p") == ["/h/.cursor/mcp.json", "/p/.cursor/mcp.json"])
        #expect(ClientKind.vscode.configFiles(home: "/h", project: "/p", platform: .linux) == ["/p/.vscode/mcp.json", "/h/.config/Code/User/mcp.json"])
        #expect(ClientKind.guess(fromPath: "/p/.vscode/mcp.json") == .vscode)
        #expect(ClientKind.guess(fromPath: "/p/.cursor/mcp.json") == .cursor)
        #expect(ClientKind.guess(fromPath: "/h/.claude.json") == .claudeCode)
        #expect(ClientKind.guess(fromPath: "/x/claude_desktop_config.json") == .claudeDesktop)
        #expect(ClientKind.guess(fromPath: "/x/servers.json") == nil)
    }
}
