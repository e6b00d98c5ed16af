import Foundation
import MCPWatchCore

/// Reading, backing up and rewriting clients' configuration files for `wrap` and `unwrap`, and telling the user what
/// changed. Every file is read and planned before any is written, so that a file that is not valid JSON, or one that
/// cannot be written, leaves every file as it was.
enum ClientConfigFiles {
    /// The suffix of the copy of a file as it was before `wrap` or `unwrap` last changed it.
    static let backupSuffix = ".mcpwatch-backup"

    /// Plans each file with `plan`, prints what happens to each server and, unless `dryRun`, backs up and rewrites
    /// the files that change (a unified diff instead with `dryRun`).
    /// - Throws: ``WatchError``: `invalidArgument` for a file that is not valid JSON(C), `io` for one that cannot be
    ///   read or written.
    static func edit(_ options: ClientConfigOptions, verb: String,
                     plan: ([UInt8], ClientKind) throws -> ServerWrapper.Plan) throws -> [(path: String, client: ClientKind, plan: ServerWrapper.Plan)] {
        var planned: [(path: String, client: ClientKind, plan: ServerWrapper.Plan)] = []
        for (path, client) in try options.files() {
            let bytes = try read(path)
            do {
                planned.append((path, client, try plan(bytes, client)))
            } catch let error as WatchError {
                let dialect = client.dialect == .jsonc ? "JSON (with comments)" : "JSON"
                throw WatchError(error.code, "\(path) is not valid \(dialect): \(error.message); nothing was changed")
            }
        }
        if !options.dryRun {
            for file in planned where file.plan.changes {
                // A file without write permission is refused even for root: someone made it read-only on purpose.
                var status = stat()
                let reason = access(file.path, W_OK) != 0 ? String(cString: strerror(errno))
                    : stat(file.path, &status) == 0 && status.st_mode & 0o222 == 0 ? "it is read-only" : nil
                if let reason { throw WatchError(.io, "cannot write \(file.path): \(reason); nothing was changed") }
            }
        }
        for file in planned {
            print("\(file.client.displayName): \(file.path)")
            for entry in file.plan.entries { print("  " + describe(entry)) }
            if file.plan.entries.isEmpty { print("  no servers") }
            guard file.plan.changes else { continue }
            if options.dryRun {
                print(UnifiedDiff.render(file.plan.original, edits: file.plan.edits, oldLabel: file.path, newLabel: file.path), terminator: "")
            } else {
                let backup = try write(file.plan, to: file.path)
                print("  backup of the file before: \(backup)")
            }
        }
        let changed = planned.filter(\.plan.changes)
        if options.dryRun {
            print(changed.isEmpty ? "dry run: nothing to \(verb)" : "dry run: nothing was changed")
        } else if !changed.isEmpty {
            let clients = Set(changed.map(\.client.displayName)).sorted().joined(separator: ", ")
            print("Restart \(clients) so that it starts its servers again.")
        }
        return planned
    }

    /// A line for one server: its key and what happened to it.
    static func describe(_ entry: ServerEntryReport) -> String {
        let name = entry.table.count > 1 ? "\(entry.table.dropLast().joined(separator: ".")).\(entry.key)" : entry.key
        let what: String = switch entry.outcome {
        case .wrapped(let argv): "wrapped: " + shell(argv)
        case .alreadyWrapped(let argv): "already through mcpwatch, left alone: " + shell(argv)
        case .remote(let url, let monitor):
            "given by URL (\(url)), left alone; `--remote` puts the stdio front before it: " + shell(monitor)
        case .unwrapped(let argv, let url): "unwrapped: " + (argv.map(shell) ?? "url \(url ?? "")")
        case .notWrapped: "not through mcpwatch"
        case .wrappedByHand(let argv): "through mcpwatch, but not as wrap writes it: left alone: " + shell(argv)
        case .skipped(let reason): "left alone: \(reason)"
        }
        return "\(name): \(what)"
    }

    /// A command line as a POSIX shell would read it.
    static func shell(_ argv: [String]) -> String {
        argv.map { word in
            let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_./=:@%+,".unicodeScalars.contains($0)
            }
            return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read it" : "no such file"
            throw WatchError(.invalidArgument, "\(path): \(reason)")
        }
        return [UInt8](data)
    }

    /// Writes the backup, then the new text over the file (through a symbolic link to its target, keeping its
    /// permissions), atomically. Refuses when the file changed since it was read (the client rewrote it).
    /// - Returns: the backup's path.
    private static func write(_ plan: ServerWrapper.Plan, to path: String) throws -> String {
        let target = realpath(path, nil).map { resolved in
            defer { free(resolved) }
            return String(cString: resolved)
        } ?? path
        var status = stat()
        let mode = stat(target, &status) == 0 ? mode_t(status.st_mode & 0o7777) : 0o600
        let backup = path + backupSuffix
        try atomicWrite(plan.original, to: backup, mode: mode)
        guard try read(path) == plan.original else {
            throw WatchError(.io, "\(path) changed while mcpwatch was editing it (is the client running?); nothing was changed, try again")
        }
        try atomicWrite(plan.result, to: target, mode: mode)
        return backup
    }

    private static func atomicWrite(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let temporary = (path as NSString).deletingLastPathComponent + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WatchError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
        var failure: String?
        if fchmod(fd, mode) != 0 { failure = String(cString: strerror(errno)) }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while failure == nil && offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = String(cString: strerror(errno)); return }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw WatchError(.io, "cannot write \(path): \(failure); nothing was changed")
        }
    }
}
