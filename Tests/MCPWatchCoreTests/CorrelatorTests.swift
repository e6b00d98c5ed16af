import Testing
@testable import MCPWatchCore

@Suite struct CorrelatorTests {
    func request(_ id: String, _ method: String = "tools/call", name: String? = nil) -> MessageInfo {
        var m = MessageInfo()
        m.kind = .request
        m.id = RequestID(json: id)
        m.method = method
        m.paramsName = name
        return m
    }

    func response(_ id: String, error code: Int? = nil, toolError: Bool = false) -> MessageInfo {
        var m = MessageInfo()
        m.kind = code == nil ? .result : .error
        m.id = RequestID(json: id)
        m.errorCode = code
        m.errorMessage = code.map { "code \($0)" }
        m.isToolError = toolError
        m.toolErrorText = toolError ? "tool said no" : nil
        return m
    }

    let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)

    @Test func pairsRequestWithResponse() {
        var c = Correlator()
        #expect(c.observe(request("1", name: "echo"), from: .clientToServer, bytes: 100, at: t0)
            == .started(method: "tools/call", target: "echo", direction: .clientToServer))
        #expect(c.pendingCount == 1)
        guard case .completed(let call)? = c.observe(response("1"), from: .serverToClient, bytes: 250, at: t0.advanced(byNanoseconds: 1_500_000)) else {
            Issue.record("expected completion")
            return
        }
        #expect(call.method == "tools/call")
        #expect(call.target == "echo")
        #expect(call.outcome == .ok)
        #expect(call.durationNanos == 1_500_000)
        #expect(call.requestBytes == 100)
        #expect(call.responseBytes == 250)
        #expect(c.pendingCount == 0)
    }

    @Test func outcomes() {
        var c = Correlator()
        _ = c.observe(request("1"), from: .clientToServer, bytes: 1, at: t0)
        _ = c.observe(request("2"), from: .clientToServer, bytes: 1, at: t0)
        guard case .completed(let rpc)? = c.observe(response("1", error: -32602), from: .serverToClient, bytes: 1, at: t0),
              case .completed(let tool)? = c.observe(response("2", toolError: true), from: .serverToClient, bytes: 1, at: t0)
        else {
            Issue.record("expected completions")
            return
        }
        #expect(rpc.outcome == .jsonrpcError)
        #expect(rpc.errorCode == -32602)
        #expect(rpc.errorType == "-32602")
        #expect(tool.outcome == .toolError)
        #expect(tool.errorMessage == "tool said no")
        #expect(tool.errorType == "tool_error")
    }

    @Test func serverToClientRequestsAreTrackedSeparately() {
        var c = Correlator()
        _ = c.observe(request("1", "tools/call"), from: .clientToServer, bytes: 1, at: t0)
        _ = c.observe(request("1", "sampling/createMessage"), from: .serverToClient, bytes: 1, at: t0)
        guard case .completed(let fromClient)? = c.observe(response("1"), from: .clientToServer, bytes: 1, at: t0) else {
            Issue.record("expected completion")
            return
        }
        #expect(fromClient.method == "sampling/createMessage")
        #expect(fromClient.direction == .serverToClient)
        guard case .completed(let fromServer)? = c.observe(response("1"), from: .serverToClient, bytes: 1, at: t0) else {
            Issue.record("expected completion")
            return
        }
        #expect(fromServer.method == "tools/call")
    }

    @Test func anomalies() {
        var c = Correlator()
        #expect(c.observe(response("9"), from: .serverToClient, bytes: 1, at: t0) == .anomaly(.unknownResponseID, direction: .serverToClient))
        _ = c.observe(request("1"), from: .clientToServer, bytes: 1, at: t0)
        #expect(c.observe(request("1"), from: .clientToServer, bytes: 1, at: t0) == .anomaly(.duplicateRequestID, direction: .clientToServer))
        #expect(c.observe(MessageInfo(), from: .clientToServer, bytes: 1, at: t0) == .anomaly(.invalidMessage, direction: .clientToServer))
    }

    @Test func cancellationEndsTheCallAndALateResponseIsNoAnomaly() {
        var c = Correlator()
        _ = c.observe(request("5"), from: .clientToServer, bytes: 1, at: t0)
        var cancel = MessageInfo()
        cancel.kind = .notification
        cancel.method = "notifications/cancelled"
        cancel.cancelledRequestID = RequestID(json: "5")
        guard case .completed(let call)? = c.observe(cancel, from: .clientToServer, bytes: 1, at: t0.advanced(byNanoseconds: 10)) else {
            Issue.record("expected completion")
            return
        }
        #expect(call.outcome == .cancelled)
        #expect(c.observe(response("5"), from: .serverToClient, bytes: 1, at: t0) == .lateResponse(id: RequestID(json: "5")))
    }

    @Test func peerExitLosesEveryPendingCallClientFirst() {
        var c = Correlator()
        _ = c.observe(request("b"), from: .serverToClient, bytes: 1, at: t0)
        _ = c.observe(request("2"), from: .clientToServer, bytes: 1, at: t0.advanced(byNanoseconds: 5))
        _ = c.observe(request("1"), from: .clientToServer, bytes: 1, at: t0)
        let lost = c.peerExited(at: t0.advanced(byNanoseconds: 100))
        #expect(lost.map(\.id.json) == ["1", "2", "b"])
        #expect(lost.allSatisfy { $0.outcome == .lost })
        #expect(c.pendingCount == 0)
    }

    @Test func pendingIsBounded() {
        var c = Correlator(maxPending: 3)
        for i in 0..<10 { _ = c.observe(request("\(i)"), from: .clientToServer, bytes: 1, at: t0) }
        #expect(c.pendingCount == 3)
    }

    @Test func nullIDErrorIsNotAnAnomaly() {
        var c = Correlator()
        var m = MessageInfo()
        m.kind = .error
        m.errorCode = -32700
        #expect(c.observe(m, from: .serverToClient, bytes: 1, at: t0) == nil)
    }
}
