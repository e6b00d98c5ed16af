import Foundation
import MCPWatchCore
import Yams

/// Reads a YAML configuration file into a ``ConfigNode`` that remembers line numbers.
enum ConfigFile {
    static func load(path: String) throws -> ConfigNode {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw WatchError(.invalidConfiguration, "cannot read the configuration file \(path)")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else { return .null(line: 1) }
            return convert(node)
        } catch let error as YamlError {
            throw WatchError(.invalidConfiguration, "\(path): not valid YAML: \(error)")
        }
    }

    static func convert(_ node: Node) -> ConfigNode {
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return .null(line: line) }
            return .scalar(scalar.string, line: line)
        case .mapping(let mapping):
            return .mapping(mapping.map { key, value in
                ConfigEntry(key: key.string ?? "\(key)", line: key.mark?.line ?? line, value: convert(value))
            }, line: line)
        case .sequence(let sequence):
            return .sequence(sequence.map(convert), line: line)
        case .alias:
            return .scalar("\(node)", line: line)
        }
    }
}
