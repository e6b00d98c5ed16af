import MCPWatchCore
import Testing

@Suite struct HostPolicyTests {
    @Test func loopbackNamesPassOnALoopbackPort() {
        let policy = HostPolicy(boundHost: "127.0.0.1")
        for host in ["localhost", "localhost:9470", "127.0.0.1", "127.0.0.1:9470", "127.1.2.3:80", "[::1]", "[::1]:9470", "LOCALHOST:9470", "localhost.:9470"] {
            #expect(policy.allows(host: host), "\(host)")
        }
        #expect(policy.allows(host: nil))
    }

    @Test func otherNamesAreRefusedOnALoopbackPort() {
        let policy = HostPolicy(boundHost: "127.0.0.1")
        for host in ["attacker.example:9470", "attacker.example", "localhost.attacker.example", "127.0.0.1.attacker.example",
                     "10.0.0.5:9470", "0.0.0.0:9470", "", "[::1", "localhost:notaport", "evil@localhost", "127.0.0.256"] {
            #expect(!policy.allows(host: host), "\(host)")
        }
    }

    @Test func allowedNamesPassWithAnyPortOrTheirOwn() {
        let policy = HostPolicy(boundHost: "127.0.0.1", allowedHosts: ["Dash.Example", "metrics.example:443"])
        #expect(policy.allows(host: "dash.example"))
        #expect(policy.allows(host: "dash.example:9470"))
        #expect(policy.allows(host: "metrics.example:443"))
        #expect(!policy.allows(host: "metrics.example:9470"))
        #expect(!policy.allows(host: "other.example"))
        #expect(HostPolicy(boundHost: "127.0.0.1", allowedHosts: ["*"]).allows(host: "anything.example:1"))
    }

    @Test func aPortOnAnotherAddressAnswersThatAddress() {
        let policy = HostPolicy(boundHost: "192.168.7.2")
        #expect(policy.allows(host: "192.168.7.2:9470"))
        #expect(policy.allows(host: "localhost:9470"))
        #expect(!policy.allows(host: "192.168.7.3:9470"))
        #expect(!policy.allows(host: "attacker.example:9470"))
    }

    @Test func aPortOnEveryInterfaceAnswersAddressesAndTheMachinesName() {
        let policy = HostPolicy(boundHost: "0.0.0.0", machineNames: ["build-7"])
        #expect(policy.allows(host: "10.1.2.3:9470"))
        #expect(policy.allows(host: "[fe80::1]:9470"))
        #expect(policy.allows(host: "build-7:9470"))
        #expect(!policy.allows(host: "attacker.example:9470"))
        #expect(HostPolicy(boundHost: "::").allows(host: "[2001:db8::1]:9470"))
    }

    @Test func onlyRealLoopbackAddressesCountAsLoopback() throws {
        #expect(try ListenAddress(parsing: "127.0.0.1:9470").isLoopback)
        #expect(try ListenAddress(parsing: "localhost:9470").isLoopback)
        #expect(try ListenAddress(parsing: "[::1]:9470").isLoopback)
        #expect(try !ListenAddress(parsing: "127.foo.example:9470").isLoopback)
        #expect(try !ListenAddress(parsing: "0.0.0.0:9470").isLoopback)
    }

    @Test func theRefusalNamesTheSettingAndTheFlag() {
        let text = HostPolicy(boundHost: "127.0.0.1").refusal(host: "attacker.example:9470")
        #expect(text.contains("http.allowed_hosts"))
        #expect(text.contains("--allow-host attacker.example"))
    }
}

@Suite struct CrossSiteGuardTests {
    let guardian = CrossSiteGuard(hosts: HostPolicy(boundHost: "127.0.0.1"))

    func post(host: String? = "127.0.0.1:9470", origin: String? = nil, contentType: String? = "application/json",
              header: String? = "1") -> CrossSiteGuard.Request {
        .init(method: "POST", host: host, origin: origin, contentType: contentType, requestHeader: header)
    }

    @Test func theIssuesRequestIsRefused() {
        // curl -X POST -H 'Origin: http://evil.example' -H 'Content-Type: text/plain' .../api/call_tool
        guard case .refuse(let status, _, let setting) = guardian.check(post(origin: "http://evil.example", contentType: "text/plain", header: nil)) else {
            Issue.record("passed")
            return
        }
        #expect(status == 403)
        #expect(setting == "http.allowed_origins")
    }

    @Test func aForeignHostIsRefusedBeforeAnythingElse() {
        let verdict = guardian.check(.init(method: "GET", host: "attacker.example:9470"))
        guard case .refuse(403, let message, "http.allowed_hosts") = verdict else {
            Issue.record("\(verdict)")
            return
        }
        #expect(message.contains("attacker.example:9470"))
    }

    @Test func simpleAndFormContentTypesAreRefused() {
        for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", nil] {
            guard case .refuse(415, _, nil) = guardian.check(post(contentType: type)) else {
                Issue.record("\(type ?? "none") passed")
                continue
            }
        }
        #expect(guardian.check(post(contentType: "Application/JSON; charset=utf-8")) == .pass(corsOrigin: nil))
    }

    @Test func anActingRequestNeedsTheHeader() {
        guard case .refuse(403, let message, nil) = guardian.check(post(header: nil)) else {
            Issue.record("passed without the header")
            return
        }
        #expect(message.contains("X-MCPWatch-Request: 1"))
        guard case .refuse(403, _, nil) = guardian.check(post(header: "yes")) else {
            Issue.record("passed with a wrong value")
            return
        }
        #expect(guardian.check(post()) == .pass(corsOrigin: nil))
    }

    @Test func aMethodNoHandlerTakesIsLeftToRouting() {
        #expect(guardian.check(.init(method: "TRACE", host: "127.0.0.1:9470", isRouted: false)) == .pass(corsOrigin: nil))
        #expect(guardian.check(.init(method: "PUT", host: "127.0.0.1:9470", isRouted: false)) == .pass(corsOrigin: nil))
        // Host and Origin still apply.
        guard case .refuse(403, _, _) = guardian.check(.init(method: "PUT", host: "attacker.example", isRouted: false)) else {
            Issue.record("a foreign host passed")
            return
        }
    }

    @Test func readingNeedsNoHeaderAndNoContentType() {
        #expect(guardian.check(.init(method: "GET", host: "127.0.0.1:9470")) == .pass(corsOrigin: nil))
        #expect(guardian.check(.init(method: "HEAD", host: "localhost:9470")) == .pass(corsOrigin: nil))
    }

    @Test func theDashboardsOwnOriginPassesWithoutCORS() {
        #expect(guardian.check(post(origin: "http://127.0.0.1:9470")) == .pass(corsOrigin: nil))
        #expect(guardian.check(post(host: "localhost:9470", origin: "http://localhost:9470")) == .pass(corsOrigin: nil))
        // Behind a TLS proxy that keeps the Host.
        let proxied = CrossSiteGuard(hosts: HostPolicy(boundHost: "127.0.0.1", allowedHosts: ["dash.example"]))
        #expect(proxied.check(post(host: "dash.example", origin: "https://dash.example")) == .pass(corsOrigin: nil))
        #expect(proxied.check(post(host: "dash.example", origin: "https://dash.example:443")) == .pass(corsOrigin: nil))
    }

    @Test func anotherPortOnLoopbackIsAnotherOrigin() {
        guard case .refuse(403, _, _) = guardian.check(post(origin: "http://127.0.0.1:8000")) else {
            Issue.record("another local page passed")
            return
        }
        guard case .refuse(403, _, _) = guardian.check(.init(method: "GET", host: "127.0.0.1:9470", origin: "null")) else {
            Issue.record("a sandboxed page passed")
            return
        }
    }

    @Test func listedOriginsGetCORSAndPreflights() {
        let open = CrossSiteGuard(hosts: HostPolicy(boundHost: "127.0.0.1"), allowedOrigins: ["https://App.Example/"])
        #expect(open.check(.init(method: "GET", host: "127.0.0.1:9470", origin: "https://app.example")) == .pass(corsOrigin: "https://app.example"))
        #expect(open.check(.init(method: "OPTIONS", host: "127.0.0.1:9470", origin: "https://app.example", preflightMethod: "POST"))
            == .preflight(origin: "https://app.example"))
        // Still only with the header and JSON.
        guard case .refuse(415, _, _) = open.check(post(origin: "https://app.example", contentType: "text/plain")) else {
            Issue.record("a listed origin skipped the content-type check")
            return
        }
        // A preflight from an unlisted origin is refused, so its POST is never sent.
        guard case .refuse(403, _, _) = guardian.check(.init(method: "OPTIONS", host: "127.0.0.1:9470", origin: "https://app.example", preflightMethod: "POST")) else {
            Issue.record("an unlisted preflight passed")
            return
        }
    }
}
