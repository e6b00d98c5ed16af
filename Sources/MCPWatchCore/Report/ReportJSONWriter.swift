import Foundation

/// Writes a ``Report`` as the same JSON that ``Report/encoder(pretty:)`` writes, many times faster.
///
/// `JSONEncoder` spent about 40 ms on the targets of a 1,000-target report (a snake-case conversion per key and
/// a boxed value per field); `/api/report` has 20 ms for everything. Targets are written here by hand; the small
/// parts (session, overview, system, ...) still go through the encoder. A test keeps the two outputs equal.
public enum ReportJSONWriter {
    /// The compact JSON of a report.
    public static func data(_ report: Report) throws -> Data {
        let encoder = Report.encoder()
        var out: [UInt8] = []
        out.reserveCapacity(512 + report.targets.count * 700)
        out.append(contentsOf: #"{"schema_version":"#.utf8)
        out.append(contentsOf: String(report.schemaVersion).utf8)
        out.append(contentsOf: #","generated_at":"#.utf8)
        string(RFC3339.string(from: report.generatedAt), &out)
        if let name = report.serverName {
            out.append(contentsOf: #","server_name":"#.utf8)
            string(name, &out)
        }
        out.append(contentsOf: #","session":"#.utf8)
        out += try encoder.encode(report.session)
        out.append(contentsOf: #","overview":"#.utf8)
        out += try encoder.encode(report.overview)
        out.append(contentsOf: #","targets":["#.utf8)
        for (i, t) in report.targets.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            target(t, &out, encoder: encoder)
        }
        out.append(contentsOf: #"],"notifications":"#.utf8)
        out += try encoder.encode(report.notifications)
        out.append(contentsOf: #","anomalies":"#.utf8)
        out += try encoder.encode(report.anomalies)
        if let system = report.system {
            out.append(contentsOf: #","system":"#.utf8)
            out += try encoder.encode(system)
        }
        if let traffic = report.traffic {
            out.append(contentsOf: #","traffic":"#.utf8)
            out += try encoder.encode(traffic)
        }
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    /// One target, keys as the encoder's snake case writes them, absent optionals left out as it leaves them out.
    static func target(_ t: TargetReport, _ out: inout [UInt8], encoder: JSONEncoder = Report.encoder()) {
        var first = true
        func key(_ k: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
        func number(_ k: StaticString, _ v: Double?) {
            guard let v else { return }
            key(k)
            double(v, &out)
        }
        func integer(_ k: StaticString, _ v: some BinaryInteger) {
            key(k)
            out.append(contentsOf: String(v).utf8)
        }
        out.append(UInt8(ascii: "{"))
        key("name"); string(t.name, &out)
        key("method"); string(t.method, &out)
        if let target = t.target { key("target"); string(target, &out) }
        key("direction"); string(t.direction.rawValue, &out)
        integer("calls", t.calls)
        integer("errors", t.errors)
        number("success_rate", t.successRate)
        number("avg_ms", t.avgMs)
        number("min_ms", t.minMs)
        number("max_ms", t.maxMs)
        number("p50_ms", t.p50Ms)
        number("p90_ms", t.p90Ms)
        number("p95_ms", t.p95Ms)
        number("p99_ms", t.p99Ms)
        number("p999_ms", t.p999Ms)
        if let lastUsed = t.lastUsed { key("last_used"); string(RFC3339.string(from: lastUsed), &out) }
        integer("in_flight", t.inFlight)
        key("outcomes"); counts(t.outcomes, &out)
        key("error_types"); counts(t.errorTypes, &out)
        if let e = t.lastError {
            key("last_error")
            out.append(contentsOf: #"{"message":"#.utf8); string(e.message, &out)
            out.append(contentsOf: #","type":"#.utf8); string(e.type, &out)
            out.append(contentsOf: #","at":"#.utf8); string(RFC3339.string(from: e.at), &out)
            out.append(UInt8(ascii: "}"))
        }
        key("recent")
        out.append(contentsOf: #"{"calls":"#.utf8); out.append(contentsOf: String(t.recent.calls).utf8)
        if let v = t.recent.successRate { out.append(contentsOf: #","success_rate":"#.utf8); double(v, &out) }
        if let v = t.recent.avgMs { out.append(contentsOf: #","avg_ms":"#.utf8); double(v, &out) }
        out.append(UInt8(ascii: "}"))
        key("calls_per_second"); double(t.callsPerSecond, &out)
        key("request_bytes"); size(t.requestBytes, &out)
        key("response_bytes"); size(t.responseBytes, &out)
        integer("dashboard_calls", t.dashboardCalls)
        if let v = t.clientErrors { integer("client_errors", v) }
        if let v = t.serverErrors { integer("server_errors", v) }
        if let v = t.interimRounds { integer("interim_rounds", v) }
        if let logical = t.logical {
            // Rare (targets with multi-round or task calls): the encoder writes it, as it writes the small parts.
            key("logical")
            out += (try? encoder.encode(logical)).map(Array.init) ?? Array("null".utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func size(_ s: SizeSummary, _ out: inout [UInt8]) {
        out.append(contentsOf: #"{"total":"#.utf8); out.append(contentsOf: String(s.total).utf8)
        if let avg = s.avg { out.append(contentsOf: #","avg":"#.utf8); double(avg, &out) }
        out.append(contentsOf: #","max":"#.utf8); out.append(contentsOf: String(s.max).utf8)
        out.append(UInt8(ascii: "}"))
    }

    static func counts(_ d: [String: UInt64], _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, (k, v)) in d.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(k, &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: String(v).utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A number as the encoder writes it: non-finite values as the strings its strategy names.
    static func double(_ v: Double, _ out: inout [UInt8]) {
        if v.isNaN { out.append(contentsOf: #""nan""#.utf8); return }
        if v.isInfinite { out.append(contentsOf: (v > 0 ? #""inf""# : #""-inf""#).utf8); return }
        if v == v.rounded(), abs(v) < 1e15 { out.append(contentsOf: String(Int64(v)).utf8); return }
        out.append(contentsOf: v.description.utf8)
    }

    static func string(_ s: String, _ out: inout [UInt8]) { JSONStringLiteral.append(s, to: &out) }
}
