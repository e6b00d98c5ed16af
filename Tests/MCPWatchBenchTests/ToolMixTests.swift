import Foundation
import Testing
import MCPWatchCore
@testable import MCPWatchBench

@Suite struct ToolMixTests {
    func parse(_ text: String) throws(WatchError) -> ToolMix { try ToolMix.parse(Data(text.utf8), source: "mix.json") }

    @Test func parsesEntriesWithDefaults() throws {
        let mix = try parse(#"[{"tool":"echo","weight":3,"args":[{"text":"a"},{"text":"b/c"}]},{"tool":"noop"},{"tool":"x","args":{"n":1}}]"#)
        #expect(mix.entries == [
            ToolMix.Entry(tool: "echo", weight: 3, arguments: [#"{"text":"a"}"#, #"{"text":"b/c"}"#]),
            ToolMix.Entry(tool: "noop", weight: 1, arguments: ["{}"]),
            ToolMix.Entry(tool: "x", weight: 1, arguments: [#"{"n":1}"#]),
        ])
        #expect(mix.summary == "echo×3, noop×1, x×1")
    }

    @Test(arguments: [
        ("{}", "expected a list"),
        ("[]", "empty"),
        ("not json", "not valid JSON"),
        (#"[{"weight":2}]"#, "entry 1 needs \"tool\""),
        (#"[{"tool":"a"},{"tool":"b","wieght":2}]"#, "entry 2 has an unknown key `wieght`"),
        (#"[{"tool":"a","weight":0}]"#, "weight must be a whole number"),
        (#"[{"tool":"a","weight":1.5}]"#, "weight must be a whole number"),
        (#"[{"tool":"a","weight":true}]"#, "weight must be a whole number"),
        (#"[{"tool":"a","args":[1]}]"#, "args must be an object"),
        (#"[{"tool":"a","args":[]}]"#, "args is an empty list"),
        (#"["echo"]"#, "entry 1 is not an object"),
    ])
    func rejectsBadMixFiles(text: String, reason: String) {
        let error = #expect(throws: WatchError.self) { try parse(text) }
        #expect(error?.code == .invalidMixFile)
        #expect(error?.message.contains("mix.json") == true)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test func invalidJSONSaysWhere() {
        let error = #expect(throws: WatchError.self) { try parse("[{\"tool\": \"echo\",\n  \"weight\": 3,,}]") }
        #expect(error?.message == "mix file mix.json: not valid JSON at line 2, column 15: invalid value")
        #expect(error?.message.contains("correct format") == false)
    }

    @Test func filesThatCannotBeReadSayWhy() throws {
        let directory = FileManager.default.temporaryDirectory.path
        let asDirectory = #expect(throws: WatchError.self) { try ToolMix.load(path: directory) }
        #expect(asDirectory?.message == "cannot read the mix file \(directory): it is a directory")
        let missing = #expect(throws: WatchError.self) { try ToolMix.load(path: directory + "/no-such-mix-\(getpid()).json") }
        #expect(missing?.message.hasSuffix(": No such file or directory") == true, "\(missing?.message ?? "")")
        let file = directory + "/mix-\(getpid()).json"
        try Data(#"[{"tool":"noop"}]"#.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try ToolMix.load(path: file).entries == [ToolMix.Entry(tool: "noop")])
    }

    @Test func singleToolKeepsArgumentsAsWrittenOnOneLine() throws {
        let mix = try ToolMix.single(tool: "echo", argumentsJSON: "{\"text\": \"hi\",\n \"n\": 1.0}")
        #expect(mix.entries == [ToolMix.Entry(tool: "echo", arguments: ["{\"text\": \"hi\",  \"n\": 1.0}"])])
    }

    @Test(arguments: ["[1]", "\"text\"", "{", "3", ""])
    func singleToolNeedsAnObject(arguments: String) {
        let error = #expect(throws: WatchError.self) { try ToolMix.single(tool: "echo", argumentsJSON: arguments) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("--args") == true)
    }

    @Test func choosesByWeightSpreadEvenly() throws {
        var selector = try parse(#"[{"tool":"a","weight":3},{"tool":"b","weight":1}]"#).makeSelector()
        let picks = (0..<8).map { _ in selector.next().entry }
        // Every window of 4 calls holds three a and one b, never b twice in a row.
        #expect(picks == [0, 0, 1, 0, 0, 0, 1, 0])
    }

    @Test func sharesFollowWeightsOverManyCalls() throws {
        var selector = try parse(#"[{"tool":"a","weight":5},{"tool":"b","weight":2},{"tool":"c","weight":3}]"#).makeSelector()
        var counts = [0, 0, 0]
        for _ in 0..<1000 { counts[selector.next().entry] += 1 }
        #expect(counts == [500, 200, 300])
    }

    @Test func cyclesEachToolsArguments() throws {
        var selector = try parse(#"[{"tool":"a","args":[{"i":0},{"i":1},{"i":2}]},{"tool":"b","args":[{"j":0},{"j":1}]}]"#).makeSelector()
        var seen: [[Int]] = [[], []]
        for _ in 0..<10 {
            let (entry, arguments) = selector.next()
            seen[entry].append(arguments)
        }
        #expect(seen[0] == [0, 1, 2, 0, 1])
        #expect(seen[1] == [0, 1, 0, 1, 0])
    }

    @Test func buildsRequestPrefixesThatCompleteToValidJSON() throws {
        let mix = try ToolMix.single(tool: "e\"cho", argumentsJSON: #"{"text":"hi"}"#)
        let line = String(decoding: mix.requestPrefix(entry: 0, arguments: 0), as: UTF8.self) + "42}"
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["id"] as? Int == 42)
        #expect(object["method"] as? String == "tools/call")
        let params = try #require(object["params"] as? [String: Any])
        #expect(params["name"] as? String == "e\"cho")
        #expect((params["arguments"] as? [String: Any])?["text"] as? String == "hi")
    }
}
