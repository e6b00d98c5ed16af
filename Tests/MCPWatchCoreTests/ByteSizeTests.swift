import MCPWatchCore
import Testing

/// The one size syntax of every option and configuration key.
@Suite struct ByteSizeTests {
    @Test(arguments: [
        ("1048576", 1 << 20), ("64KiB", 64 << 10), ("64MiB", 64 << 20), ("1GiB", 1 << 30), ("512k", 512 << 10),
        ("2MB", 2 << 20), ("3G", 3 << 30), ("100b", 100), (" 8 KiB ", 8 << 10),
    ])
    func parses(text: String, bytes: Int) throws {
        #expect(try ByteSize(parsing: text).bytes == bytes)
    }

    @Test(arguments: ["", "big", "KiB", "1.5MiB", "-1", "64 parsecs", "64TiB", "0x10"])
    func refusesWhatIsNotASize(text: String) {
        let error = #expect(throws: WatchError.self) { try ByteSize(parsing: text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("64KiB, 64MiB or 1GiB") == true, "names the accepted forms: \(error?.message ?? "")")
    }

    @Test func zeroIsNotASize() {
        let error = #expect(throws: WatchError.self) { try ByteSize(parsing: "0") }
        #expect(error?.message == "`0` is not a size above zero: write it like 64KiB, 64MiB or 1GiB (units B, KiB, MiB, GiB, powers of 1024), or a bare number of bytes")
    }

    @Test(arguments: ["9999999999999999999G", "99999999999999999999"])
    func aSizeTooLargeIsRefused(text: String) {
        let error = #expect(throws: WatchError.self) { try ByteSize(parsing: text) }
        #expect(error?.message == "`\(text)` is too large a size")
    }

    @Test(arguments: [(64 << 20, "64MiB"), (1 << 30, "1GiB"), (1 << 10, "1KiB"), (1000, "1000"), (1536 << 10, "1536KiB")])
    func writesItBackAsItIsRead(bytes: Int, text: String) throws {
        #expect(ByteSize(bytes: bytes).description == text)
        #expect(try ByteSize(parsing: text).bytes == bytes)
    }

    @Test func theConfigurationReadsTheSameSyntax() {
        #expect(ConfigValueParsing.byteSize("64MiB") == 64 << 20)
        #expect(ConfigValueParsing.byteSize("nope") == nil)
    }
}
