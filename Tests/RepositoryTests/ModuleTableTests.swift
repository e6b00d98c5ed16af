import Foundation
import Testing

/// docs/architecture.md's module table names exactly the package's targets, so a newcomer who reads it finds every
/// module and no module that is gone.
@Suite struct ModuleTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theModuleTableNamesEveryTargetAndOnlyTargets() throws {
        let architecture = try String(contentsOf: Self.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let rows = try Self.firstColumn(ofFirstTableUnder: "## Modules", in: architecture)
        let named = rows.compactMap(Self.moduleName)
        #expect(named.count == rows.count, "each row's first cell is one `Name`: \(rows.filter { Self.moduleName($0) == nil })")
        #expect(Set(named).count == named.count, "a module is named twice: \(named)")

        let folders = try Self.sourceFolders()
        let declared = try Self.declaredTargets(in: String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8))
        #expect(Set(declared) == Set(folders), "Package.swift's targets and the folders of Sources/ differ")
        #expect(Set(named).subtracting(folders).isEmpty, "rows that name no target: \(Set(named).subtracting(folders).sorted())")
        #expect(Set(folders).subtracting(named).isEmpty, "targets missing from the table: \(Set(folders).subtracting(named).sorted())")
    }

    @Test func theTableReaderFindsTheFirstTableUnderTheHeadingOnly() throws {
        let text = """
            # Title

            | x | y |
            |---|---|
            | `Before` | no |

            ## Modules

            Some words.

            | module | what |
            |---|---|
            | `One` | first |
            | `Two` | second, with a | in it |

            | module | what |
            |---|---|
            | `Three` | a later table |

            ## Next
            """
        #expect(try Self.firstColumn(ofFirstTableUnder: "## Modules", in: text) == ["`One`", "`Two`"])
        #expect(try Self.firstColumn(ofFirstTableUnder: "## Modules", in: text).compactMap(Self.moduleName) == ["One", "Two"])
        #expect(Self.moduleName("`Two` and more") == nil && Self.moduleName("Two") == nil)
        #expect(throws: TableError.self) { try Self.firstColumn(ofFirstTableUnder: "## Missing", in: text) }
        #expect(try Self.declaredTargets(in: """
            targets: [
                .target(name: "A", dependencies: ["B"]),
                // a comment
                .target(
                    // why
                    name: "B"),
                .executableTarget(name: "c", dependencies: [.product(name: "P", package: "p")]),
                .testTarget(name: "ATests", dependencies: ["A"]),
                .executableTarget(name: "Bench", path: "Benchmarks/Bench"),
            ]
            """) == ["A", "B", "c"])
    }

    struct TableError: Error, CustomStringConvertible {
        var description: String
    }

    /// The first cell of each body row of the first markdown table after `heading` (and before the next heading).
    static func firstColumn(ofFirstTableUnder heading: String, in markdown: String) throws -> [String] {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let start = lines.firstIndex(of: heading) else { throw TableError(description: "no heading '\(heading)'") }
        var index = start + 1
        while index < lines.count, !lines[index].hasPrefix("|") {
            if lines[index].hasPrefix("#") { throw TableError(description: "no table under '\(heading)'") }
            index += 1
        }
        // The header row and the delimiter row, then the body up to the first line that is not a row.
        guard index + 1 < lines.count, lines[index + 1].hasPrefix("|-") || lines[index + 1].hasPrefix("| -") else {
            throw TableError(description: "no table under '\(heading)'")
        }
        return lines[(index + 2)...].prefix { $0.hasPrefix("|") }.map { row in
            row.dropFirst().split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
        }
    }

    /// `Name` for a cell that is exactly one name in backticks.
    static func moduleName(_ cell: String) -> String? {
        guard cell.count > 2, cell.first == "`", cell.last == "`" else { return nil }
        let name = cell.dropFirst().dropLast()
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? String(name) : nil
    }

    /// The folders of Sources/: SwiftPM's default place of a target, the only one this package uses for its modules.
    static func sourceFolders() throws -> [String] {
        let sources = root.appendingPathComponent("Sources")
        return try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { name in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: sources.appendingPathComponent(name).path, isDirectory: &isFolder) && isFolder.boolValue
        }.sorted()
    }

    /// The `.target` and `.executableTarget` names of a manifest, leaving out those with a `path:` of their own (the
    /// benchmarks, added on request, live outside Sources/).
    static func declaredTargets(in manifest: String) throws -> [String] {
        let declaration = try Regex(#"\.(?:target|executableTarget)\(\s*(?://[^\n]*\n\s*)*name:\s*"([^"]+)""#)
        var names: [String] = []
        for match in manifest.matches(of: declaration) {
            guard let name = match.output[1].substring else { continue }
            if !arguments(of: manifest[match.range.lowerBound...]).contains("path:") { names.append(String(name)) }
        }
        return names
    }

    /// The text of a call, from its name to its closing parenthesis (string literals skipped).
    static func arguments(of text: Substring) -> Substring {
        var depth = 0
        var inString = false
        for index in text.indices {
            let character = text[index]
            if character == "\"" { inString.toggle() }
            if inString { continue }
            if character == "(" { depth += 1 }
            if character == ")" {
                depth -= 1
                if depth == 0 { return text[...index] }
            }
        }
        return text
    }
}
