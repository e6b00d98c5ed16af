import Hummingbird

/// Refuses request bodies over a limit with 413, before any handler reads them.
///
/// A declared `Content-Length` over the limit is refused without reading a byte; a chunked body is read up to the
/// limit and refused as soon as it passes it, so a hostile client cannot make the server buffer without bound.
struct RequestBodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let tooLarge = HTTPError(.contentTooLarge, message: "the request body is larger than the limit of \(maxBytes) bytes")
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                throw HTTPError(.badRequest, message: "header 'Content-Length' must be a whole number, not '\(declared)'")
            }
            if length > maxBytes { throw tooLarge }
            return try await next(request, context)
        }
        guard request.headers[.transferEncoding] != nil else { return try await next(request, context) }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        }
        request.body = .init(buffer: body)
        return try await next(request, context)
    }
}
