import Foundation

/// One plain-HTTP/1.1 keep-alive connection for the closed-loop load generator: a request goes out in one `send`
/// (head and body together); what comes back is read without blocking (``receive()``) whenever `poll` says so, and
/// parsed once a whole response is there (``nextResponse()``), with no event loop, promise or task in between. A general HTTP client (async-http-client) spends several
/// times more CPU per request than the proxies it would be measuring, which makes the generator the bottleneck.
///
/// It understands what an MCP endpoint answers with: `Content-Length` bodies, chunked bodies (an SSE answer), and a
/// body that runs to the connection's end.
final class RawHTTPConnection {
    struct Response {
        var status: Int
        /// `Content-Type` is `text/event-stream`.
        var isEventStream = false
        /// `Connection: close`.
        var closes = false
        var body: [UInt8] = []
    }

    enum Failure: Error {
        case timeout
        case transport(String)
        /// The connection was refused: nothing listens at the address (any more).
        case refused(String)
    }

    /// The socket.
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private static let chunk = 64 << 10

    /// Connects to `host:port` (a name or an address).
    init(host: String, port: Int) throws(Failure) {
        var hints = addrinfo()
        hints.ai_socktype = PipeIO.streamSocketType
        var list: UnsafeMutablePointer<addrinfo>?
        let host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw .transport("cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        var lastError = ""
        var refused = false
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                if PipeIO.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    connected = fd
                    break
                }
                refused = errno == ECONNREFUSED
                lastError = String(cString: strerror(errno))
                close(fd)
            }
            candidate = info.pointee.ai_next
        }
        guard connected >= 0 else {
            let text = "cannot connect to \(host):\(port): \(lastError)"
            throw refused ? .refused(text) : .transport(text)
        }
        fd = connected
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        buffer.reserveCapacity(Self.chunk)
    }

    deinit { close(fd) }

    /// Sends one complete request (blocking until the kernel has it).
    func send(_ request: [UInt8]) throws(Failure) {
        let sent = request.withUnsafeBytes { bytes -> Bool in
            guard var p = bytes.baseAddress else { return true }
            var remaining = bytes.count
            while remaining > 0 {
                let n = PipeIO.sendWithoutSignal(fd, p, remaining)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                p += n
                remaining -= n
            }
            return true
        }
        guard sent else { throw .transport("the connection was closed (\(String(cString: strerror(errno))))") }
    }

    /// Reads what has arrived, without waiting; throws when the server closed the connection.
    func receive() throws(Failure) {
        while true {
            compact()
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: Self.chunk))
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + old, Self.chunk, Int32(MSG_DONTWAIT)) }
            let error = errno
            buffer.removeLast(Self.chunk - max(n, 0))
            if n > 0 {
                if n < Self.chunk { return }
                continue
            }
            if n < 0 && (error == EAGAIN || error == EWOULDBLOCK) { return }
            if n < 0 && error == EINTR { continue }
            closed = true
            if n < 0 { throw .transport(String(cString: strerror(error))) }
            return
        }
    }

    /// Whether the server has closed the connection (what it sent before is still parsed).
    private(set) var closed = false

    /// The next complete response, taken from what has been received; nil while it is incomplete.
    func nextResponse() throws(Failure) -> Response? {
        guard let headEnd = find([13, 10, 13, 10], from: start) else {
            if closed { throw .transport("the server closed the connection") }
            return nil
        }
        // The head, read as bytes: status, and the four fields that matter here.
        guard headEnd - start >= 12, buffer[start..<start + 7].elementsEqual("HTTP/1.".utf8) else {
            throw .transport("not an HTTP/1.1 response: \(String(decoding: buffer[start..<min(headEnd, start + 80)], as: UTF8.self))")
        }
        let status = Int(buffer[start + 9] &- 48) * 100 + Int(buffer[start + 10] &- 48) * 10 + Int(buffer[start + 11] &- 48)
        var response = Response(status: status)
        var contentLength: Int?
        var chunked = false
        var line = (find([13, 10], from: start) ?? headEnd) + 2
        while line < headEnd {
            let end = find([13, 10], from: line) ?? headEnd
            if let colon = buffer[line..<end].firstIndex(of: UInt8(ascii: ":")) {
                var value = colon + 1
                while value < end, buffer[value] == 0x20 || buffer[value] == 0x09 { value += 1 }
                let name = line..<colon
                if matches(name, "content-length") {
                    contentLength = Int(String(decoding: buffer[value..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces))
                } else if matches(name, "transfer-encoding") {
                    chunked = contains(value..<end, "chunked")
                } else if matches(name, "content-type") {
                    response.isEventStream = contains(value..<end, "text/event-stream")
                } else if matches(name, "connection") {
                    response.closes = contains(value..<end, "close")
                }
            }
            line = end + 2
        }
        var position = headEnd + 4
        if let length = contentLength {
            guard buffer.count - position >= length else { return try incomplete() }
            response.body = Array(buffer[position..<position + length])
            position += length
        } else if chunked {
            while true {
                guard let lineEnd = find([13, 10], from: position) else { return try incomplete() }
                let sizeText = String(decoding: buffer[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw .transport("bad chunk size '\(sizeText)'")
                }
                guard buffer.count - (lineEnd + 2) >= size + 2 else { return try incomplete() }
                response.body.append(contentsOf: buffer[lineEnd + 2..<lineEnd + 2 + size])
                position = lineEnd + 2 + size + 2
                if size == 0 { break }
            }
        } else if status != 204 && status != 304 && !(100..<200).contains(status) {
            // No length: the body runs to the end of the connection.
            guard closed else { return nil }
            response.body = Array(buffer[position...])
            position = buffer.count
        }
        start = position
        compact()
        return response
    }

    /// Whether the bytes in `range` are `name`, ignoring ASCII case.
    private func matches(_ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        var i = range.lowerBound
        for byte in UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount) {
            guard buffer[i] | 0x20 == byte | 0x20 else { return false }
            i += 1
        }
        return true
    }

    /// Whether the bytes in `range` contain `word`, ignoring ASCII case.
    private func contains(_ range: Range<Int>, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard range.count >= count else { return false }
        for start in range.lowerBound...(range.upperBound - count) where matches(start..<start + count, word) { return true }
        return false
    }

    private func incomplete() throws(Failure) -> Response? {
        if closed { throw .transport("the server closed the connection in the middle of a response") }
        return nil
    }

    private func compact() {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > Self.chunk {
            buffer.removeFirst(start)
            start = 0
        }
    }

    private func find(_ needle: [UInt8], from: Int) -> Int? {
        guard buffer.count - from >= needle.count else { return nil }
        var i = from
        let last = buffer.count - needle.count
        while i <= last {
            if buffer[i] == needle[0] {
                var match = true
                for j in 1..<needle.count where buffer[i + j] != needle[j] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }
}
