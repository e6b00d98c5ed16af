import Testing
@testable import MCPWatchCore

@Suite struct TraceContextTests {
    let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    let ours = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"

    func extract(_ text: String) -> TraceContext.Extracted {
        Array(text.utf8).withUnsafeBytes { TraceContext.extract(from: $0) }
    }

    @Test func extractsTheContextFromMeta() {
        let request = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"traceparent":"\#(parent)","tracestate":"rojo=00f067aa0ba902b7","baggage":"k=v"}}}"#
        #expect(extract(request) == .valid(TraceContext(traceparent: parent, tracestate: "rojo=00f067aa0ba902b7", baggage: "k=v")))
        if case .valid(let context) = extract(request) {
            #expect(context.traceID == "0af7651916cd43dd8448eb211c80319c")
            #expect(context.parentSpanID == "b7ad6b7169203331")
            #expect(context.sampled)
        }
    }

    @Test func absentWhenNoTraceparentInMeta() {
        #expect(extract(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#) == .absent)
        // The word elsewhere (an argument) is not the context.
        #expect(extract(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"traceparent","arguments":{"traceparent":"x"}}}"#) == .absent)
    }

    @Test(arguments: [
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",  // too short
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  // zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  // zero span id
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  // upper case
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  // version ff
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",  // version 00 with more
        "not a traceparent at all, but long enough to be checked for shape ok",
    ])
    func malformedValues(_ value: String) {
        #expect(!TraceContext.isValidTraceparent(value))
        let request = #"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"traceparent":"\#(value)"}}}"#
        #expect(extract(request) == .malformed)
    }

    @Test func aNonStringTraceparentIsMalformed() {
        #expect(extract(#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"traceparent":42}}}"#) == .malformed)
    }

    @Test func laterVersionsWithMoreFieldsAreValid() {
        #expect(TraceContext.isValidTraceparent(parent))
        #expect(TraceContext.isValidTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds"))
    }

    @Test func rewriteReplacesOnlyTheValue() {
        let request = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":3, "traceparent" : "\#(parent)","tracestate":"a=b"},"arguments":{"text":"é\n"}}}"#
        let expected = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","_meta":{"progressToken":3, "traceparent" : "\#(ours)","tracestate":"a=b"},"arguments":{"text":"é\n"}}}"#
        #expect(TraceContextRewriter.rewrite(request, traceparent: ours) == expected)
    }

    @Test func rewriteInsertsIntoMeta() {
        let request = #"{"id":1,"method":"tools/call","params":{"_meta":{ "progressToken":"p"},"name":"x"},"jsonrpc":"2.0"}"#
        #expect(TraceContextRewriter.rewrite(request, traceparent: ours)
                == #"{"id":1,"method":"tools/call","params":{"_meta":{"traceparent":"\#(ours)", "progressToken":"p"},"name":"x"},"jsonrpc":"2.0"}"#)
        #expect(TraceContextRewriter.rewrite(#"{"id":1,"method":"m","params":{"_meta":{ }}}"#, traceparent: ours)
                == #"{"id":1,"method":"m","params":{"_meta":{"traceparent":"\#(ours)" }}}"#)
    }

    @Test func rewriteInsertsMetaIntoParams() {
        #expect(TraceContextRewriter.rewrite(#"{"id":1,"method":"tools/call","params":{"name":"x"}}"#, traceparent: ours)
                == #"{"id":1,"method":"tools/call","params":{"_meta":{"traceparent":"\#(ours)"},"name":"x"}}"#)
        #expect(TraceContextRewriter.rewrite(#"{"id":1,"method":"tools/list","params":{}}"#, traceparent: ours)
                == #"{"id":1,"method":"tools/list","params":{"_meta":{"traceparent":"\#(ours)"}}}"#)
    }

    @Test func rewriteLeavesWhatItCannotPlaceAlone() {
        #expect(TraceContextRewriter.rewrite(#"{"id":1,"method":"ping"}"#, traceparent: ours) == nil)
        #expect(TraceContextRewriter.rewrite(#"{"id":1,"method":"m","params":[1,2]}"#, traceparent: ours) == nil)
        #expect(TraceContextRewriter.rewrite(#"{"id":1,"method":"m","params":{"_meta":"x"}}"#, traceparent: ours) == nil)
        #expect(TraceContextRewriter.rewrite(#"[{"id":1,"method":"m","params":{}}]"#, traceparent: ours) == nil)
    }

    @Test func theRewrittenRequestCarriesTheNewContext() {
        let request = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"traceparent":"\#(parent)"}}}"#
        let rewritten = TraceContextRewriter.rewrite(request, traceparent: ours)!
        #expect(extract(rewritten) == .valid(TraceContext(traceparent: ours)))
    }

    @Test func tapQueuesCallsWithTheirParentAndDropsPastItsCapacity() {
        let store = MetricsStore()
        let tap = store.traceTap
        tap.enable(capacity: 2, starter: nil)
        let recorder = TrafficRecorder(store: store)
        var inspector = MessageInspector()
        func send(_ text: String, _ direction: Direction) {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { _ = recorder.observe(frame: $0, direction: direction, at: store.clock.now(), inspector: &inspector) }
        }
        send(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"traceparent":"\#(parent)"}}}"#, .clientToServer)
        send(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","_meta":{"traceparent":"00-zz"}}}"#, .clientToServer)
        send(#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#, .serverToClient)
        send(#"{"jsonrpc":"2.0","id":2,"result":{"content":[],"isError":true}}"#, .serverToClient)
        send(#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#, .clientToServer)
        send(#"{"jsonrpc":"2.0","id":3,"result":{}}"#, .serverToClient)
        #expect(tap.malformedCount == 1)
        #expect(store.counters(serverName: nil).anomalies[AnomalyKind.malformedTraceparent.rawValue] == 1)
        #expect(tap.droppedCount == 1)
        let calls = tap.drain()
        #expect(calls.map(\.call.id) == [RequestID(1), RequestID(2)])
        #expect(calls[0].parent?.traceparent == parent)
        #expect(calls[1].parent == nil)
        #expect(calls[1].call.outcome == .toolError)
        #expect(calls.allSatisfy { $0.endNanos >= $0.startNanos && $0.startNanos > 0 })
        #expect(tap.drain().isEmpty)
    }

    @Test func propagationRewritesWithTheStartedSpansContext() {
        let store = MetricsStore()
        let expected = parent
        store.traceTap.enable(capacity: 10) { requestContext, name, _ in
            #expect(requestContext?.traceparent == expected)
            #expect(name == "tools/call echo")
            return .init(traceparent: "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01", span: name)
        }
        let recorder = TrafficRecorder(store: store)
        let line = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"traceparent":"\#(parent)"}}}"#.utf8) + [0x0A]
        let forwarded = line.withUnsafeBytes { recorder.propagatingTrace($0) }!
        #expect(forwarded.last == 0x0A)
        let text = String(decoding: forwarded, as: UTF8.self)
        #expect(text.contains(ours) && !text.contains(parent))
        var inspector = MessageInspector()
        line.withUnsafeBytes { _ = recorder.observe(frame: $0, direction: .clientToServer, at: store.clock.now(), inspector: &inspector) }
        Array(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8).withUnsafeBytes {
            _ = recorder.observe(frame: $0, direction: .serverToClient, at: store.clock.now(), inspector: &inspector)
        }
        let calls = store.traceTap.drain()
        #expect(calls.count == 1)
        #expect(calls.first?.parent?.traceparent == parent)
        #expect(calls.first?.startedSpan as? String == "tools/call echo")
    }

    @Test func offByDefault() {
        let store = MetricsStore()
        let line = Array(#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{}}"#.utf8)
        #expect(line.withUnsafeBytes { TrafficRecorder(store: store).propagatingTrace($0) } == nil)
        #expect(!store.traceTap.isEnabled)
    }

    @Test func configurationKeysAndEnvironment() {
        var config = WatchConfiguration()
        let good = config.apply(environment: ["MCPWATCH_OTEL_TRACES": "true", "MCPWATCH_OTEL_SAMPLER": "parentbased_traceidratio",
                                              "MCPWATCH_OTEL_SAMPLER_ARG": "0.01", "MCPWATCH_OTEL_ENDPOINT": "http://127.0.0.1:4318"])
        #expect(good.isEmpty)
        #expect(config.telemetry.traces && config.telemetry.sampler == .parentBasedTraceIDRatio && config.telemetry.samplerRatio == 0.01)
        #expect(config.telemetry.endpoint == "http://127.0.0.1:4318")
        var bad = WatchConfiguration()
        let problems = bad.apply(environment: ["MCPWATCH_OTEL_ENDPOINT": "localhost:4318", "MCPWATCH_OTEL_SAMPLER": "sometimes",
                                               "OTEL_TRACES_SAMPLER": "often", "OTEL_EXPORTER_OTLP_ENDPOINT": "::nope", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        #expect(Set(problems.map(\.key)) == ["otel.endpoint", "otel.sampler", "otel.protocol"])
        #expect(problems.count == 5)
        #expect(TelemetrySettings().tracesEnabled(environment: ["OTEL_TRACES_EXPORTER": "otlp"]))
        #expect(!TelemetrySettings().tracesEnabled(environment: [:]))
        var on = TelemetrySettings()
        on.metrics = true
        #expect(!on.metricsEnabled(environment: ["OTEL_METRICS_EXPORTER": "none"]))
    }
}
