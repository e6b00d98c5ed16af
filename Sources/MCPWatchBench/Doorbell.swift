import Foundation
import MCPWatchCore

/// Wakes a thread that waits in `ppoll`: a non-blocking pipe that one side rings and the other drains.
///
/// Rung only on rare events (the handshake answered, the run over, output backed up), never per call.
final class Doorbell: Sendable {
    /// Readable when rung.
    let readFD: Int32
    private let writeFD: Int32

    init() throws(WatchError) {
        guard let pipe = PipeIO.makePipe(nonBlocking: true) else {
            throw WatchError(.io, "cannot create a pipe: \(PipeIO.errorText())")
        }
        readFD = pipe.read
        writeFD = pipe.write
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Wakes the waiter; a full pipe means it is already rung.
    func ring() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Consumes every ring so far.
    func drain() {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &bytes, { read(readFD, $0.baseAddress, $0.count) }) > 0 {}
    }
}
