import Testing
@testable import MCPWatchCore

@Suite struct OriginPolicyTests {
    @Test func noOriginAndLoopbackOriginsPass() {
        let policy = OriginPolicy(servedHost: "127.0.0.1")
        #expect(policy.allows(origin: nil))
        #expect(policy.allows(origin: "http://localhost:3000"))
        #expect(policy.allows(origin: "http://127.0.0.1"))
        #expect(policy.allows(origin: "https://[::1]:8443"))
    }

    @Test func foreignOriginsAreRefused() {
        let policy = OriginPolicy(servedHost: "127.0.0.1")
        #expect(!policy.allows(origin: "http://evil.example"))
        #expect(!policy.allows(origin: "http://localhost.evil.example"))
        #expect(!policy.allows(origin: "http://127.0.0.1.evil.example"))
        #expect(!policy.allows(origin: "http://127.evil.example:8080"))
        #expect(!policy.allows(origin: "null"))
        #expect(!policy.allows(origin: "garbage"))
    }

    @Test func theServedHostAndListedOriginsPass() {
        let policy = OriginPolicy(servedHost: "mcp.internal", allowedOrigins: ["https://App.Example.com/"])
        #expect(policy.allows(origin: "http://mcp.internal:8080"))
        #expect(policy.allows(origin: "https://app.example.com"))
        #expect(!policy.allows(origin: "https://app.example.com:444"))
        #expect(OriginPolicy(servedHost: "0.0.0.0").allows(origin: "http://0.0.0.0") == false)
        #expect(OriginPolicy(servedHost: "x", allowedOrigins: ["*"]).allows(origin: "http://anything"))
    }

    @Test func hostOfOrigin() {
        #expect(OriginPolicy.host(ofOrigin: "http://user@host:1") == "host")
        #expect(OriginPolicy.host(ofOrigin: "http://[::1]:1") == "::1")
        #expect(OriginPolicy.host(ofOrigin: "http://") == nil)
    }
}
