import ArgumentParser
import Foundation
import MCPWatchCore

/// `mcpwatch rules list|export`.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Show the alert rules, or export them for Prometheus.", subcommands: [List.self, Export.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the alert rules in force (built-in ones with the configuration's changes, then its own).")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let configuration = try options.load()
            for rule in configuration.effectiveAlertRules {
                let thresholds = [("warning", rule.warning), ("critical", rule.critical)].compactMap { name, value in
                    value.map { "\(name) \(rule.comparison.rawValue) \(rule.metric.format($0))" }
                }.joined(separator: ", ")
                let scope = switch rule.scope {
                case .all: rule.metric.isCallMetric ? "all calls" : "-"
                case .each(let methods, let targets): "each of \(methods.isEmpty ? "any method" : methods.joined(separator: "|")) \(targets.joined(separator: "|"))"
                }
                let window = rule.metric.isCallMetric ? " over \(rule.window)" : ""
                print("\(rule.enabled ? " " : "-") \(rule.name): \(rule.metric.rawValue) of \(scope)\(window): \(thresholds); for \(PrometheusRulesExport.duration(rule.forSeconds)), min \(rule.minimumSamples) samples")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the alert rules as Prometheus alerting rules over mcpwatch's metric names.",
            discussion: """
                The same rules mcpwatch evaluates (built-in ones with the configuration's changes, then
                its own), for Prometheus and Alertmanager across many machines. One Prometheus rule per
                threshold, labelled severity=warning or critical; `for` and the resolve delay
                (keep_firing_for) carry over. Check the result with `promtool check rules FILE`.

                Examples:
                  mcpwatch rules export --format prometheus > mcpwatch-rules.yml
                  mcpwatch rules export --format prometheus --config mcpwatch.yaml --output /etc/prometheus/rules/mcpwatch.yml
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case prometheus }

        @Option(name: .long, help: "Output format.")
        var format: Format = .prometheus

        @Option(name: .long, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "path"))
        var output: String?

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let configuration = try options.load()
            let text = PrometheusRulesExport.yaml(configuration.effectiveAlertRules)
            if let output {
                try AtomicFile.write(Data(text.utf8), to: output)
            } else {
                print(text, terminator: "")
            }
        }
    }
}
