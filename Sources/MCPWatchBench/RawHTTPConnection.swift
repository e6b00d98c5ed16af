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
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    enum Failure: Error {
        case timeout
        case transport(String)
    }

    /// The socket.
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private static let chunk = 64 << 10

    /// Connects to `host:port` (a name or an address).
    init(host: String, port: Int) throws(Failure) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw .transport("cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        var lastError = ""
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    connected = fd
                    break
                }
                lastError = String(cString: strerror(errno))
                close(fd)
            }
            candidate = info.pointee.ai_next
        }
        guard connected >= 0 else { throw .transport("cannot connect to \(host):\(port): \(lastError)") }
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
                let n = Glibc.send(fd, p, remaining, Int32(MSG_NOSIGNAL))
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
        let head = String(decoding: buffer[start..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."),
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw .transport("not an HTTP/1.1 response: \(head.prefix(80))")
        }
        lines.removeFirst()
        var response = Response(status: status, headers: [], body: [])
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            response.headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var position = headEnd + 4
        if let length = response.header("Content-Length").flatMap(Int.init) {
            guard buffer.count - position >= length else { return try incomplete() }
            response.body = Array(buffer[position..<position + length])
            position += length
        } else if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
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
