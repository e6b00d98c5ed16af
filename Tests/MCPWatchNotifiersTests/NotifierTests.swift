import Foundation
import Testing

import MCPWatchCore
@testable import MCPWatchNotifiers

@Suite struct NotifierTests {
    static let event = AlertEvent(
        sequence: 7, at: Date(timeIntervalSince1970: 1_800_000_000), kind: .firing, alertId: "p95:tools/call:search",
        rule: "p95", metric: .latencyP95, method: "tools/call", target: "search", from: .pending, to: .firing,
        severity: .warning, previousSeverity: nil, value: 812, threshold: 500, summary: "tool search: p95 812 ms")

    /// RFC 4231, test case 2: the signature is standard HMAC-SHA256, so any receiver can check it.
    @Test func signatureIsHMACSHA256() {
        let sig = WebhookNotifier.signature(of: Data("what do ya want for nothing?".utf8), secret: Array("Jefe".utf8))
        #expect(sig == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func payloadIsDocumentedJSON() throws {
        let json = try JSONSerialization.jsonObject(with: AlertPayload(server: "time", host: "box", event: Self.event).encoded()) as! [String: Any]
        #expect(json["version"] as? Int == 1 && json["source"] as? String == "mcpwatch" && json["server"] as? String == "time")
        let event = json["event"] as! [String: Any]
        #expect(event["kind"] as? String == "firing" && event["alert_id"] as? String == "p95:tools/call:search")
        #expect(event["metric"] as? String == "latency_p95" && event["at"] as? String == "2027-01-15T08:00:00.000Z")
        #expect(event["value"] as? Double == 812 && event["threshold"] as? Double == 500 && event["severity"] as? String == "warning")
    }

    @Test func commandGetsTheEventOnStdinAndInItsEnvironment() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcpwatch-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("event.json").path
        let notifier = CommandNotifier(arguments: ["/bin/sh", "-c", "cat > '\(out)'; echo \"$MCPWATCH_ALERT_KIND $MCPWATCH_ALERT_SEVERITY\" >> '\(out).env'"],
                                       serverName: { "demo" })
        try await notifier.notify(Self.event)
        let body = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        #expect((body["event"] as! [String: Any])["summary"] as? String == "tool search: p95 812 ms")
        #expect(try String(contentsOfFile: out + ".env", encoding: .utf8) == "firing warning\n")
    }

    @Test func failingAndHangingCommandsThrow() async throws {
        await #expect(throws: (any Error).self) {
            try await CommandNotifier(arguments: ["/bin/sh", "-c", "exit 3"], serverName: { nil }).notify(Self.event)
        }
        await #expect(throws: (any Error).self) {
            try await CommandNotifier(arguments: ["/nonexistent/notify"], serverName: { nil }).notify(Self.event)
        }
        let hanging = CommandNotifier(arguments: ["/bin/sh", "-c", "exec sleep 60"], timeout: .milliseconds(200), serverName: { nil })
        do {
            try await hanging.notify(Self.event)
            Issue.record("a command that outlives its timeout must fail")
        } catch {
            #expect("\(error)".contains("killed after"))
        }
    }
}
