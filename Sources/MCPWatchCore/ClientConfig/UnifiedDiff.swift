/// A unified diff (as `diff -u` prints it) of a text and the same text with some ``TextEdit``s made: what
/// `wrap --dry-run` shows. Made from the edits themselves, so it costs nothing for a large file with a small change
/// (`~/.claude.json` holds a history), and shows exactly the lines the edits touch.
public enum UnifiedDiff {
    /// The diff, or an empty string when the edits change nothing.
    /// - Parameters:
    ///   - old: the text before.
    ///   - edits: non-overlapping edits of it.
    ///   - oldLabel: the name on the `---` line.
    ///   - newLabel: the name on the `+++` line.
    ///   - context: unchanged lines shown around each change.
    public static func render(_ old: [UInt8], edits: [TextEdit], oldLabel: String, newLabel: String, context: Int = 3) -> String {
        let edits = edits.sorted { $0.range.lowerBound < $1.range.lowerBound }
            .filter { Array(old[$0.range]) != $0.replacement }
        guard !edits.isEmpty else { return "" }
        var lineStarts = [0]
        for (index, byte) in old.enumerated() where byte == UInt8(ascii: "\n") && index + 1 < old.count {
            lineStarts.append(index + 1)
        }
        func line(of offset: Int) -> Int {
            var low = 0, high = lineStarts.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
            }
            return low
        }
        func end(ofLine index: Int) -> Int { index + 1 < lineStarts.count ? lineStarts[index + 1] : old.count }
        func lines(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
            var out: [ArraySlice<UInt8>] = []
            var start = bytes.startIndex
            for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
                out.append(bytes[start...index])
                start = index + 1
            }
            if start < bytes.endIndex { out.append(bytes[start...]) }
            return out
        }

        // Chunks: runs of whole old lines touched by edits (on the same or adjacent lines), with their new lines, so that
        // two changed lines in a row show as their old lines, then their new ones, as diff shows them.
        struct Chunk { var first: Int; var last: Int; var edits: [TextEdit] }
        var chunks: [Chunk] = []
        for edit in edits {
            let first = line(of: edit.range.lowerBound)
            let last = line(of: max(edit.range.lowerBound, edit.range.upperBound - 1))
            if var previous = chunks.last, first <= previous.last + 1 {
                previous.last = max(previous.last, last)
                previous.edits.append(edit)
                chunks[chunks.count - 1] = previous
            } else {
                chunks.append(Chunk(first: first, last: last, edits: [edit]))
            }
        }
        let changes = chunks.map { chunk -> (old: [ArraySlice<UInt8>], new: [ArraySlice<UInt8>]) in
            let start = lineStarts[chunk.first], stop = end(ofLine: chunk.last)
            let shifted = chunk.edits.map { TextEdit($0.range.lowerBound - start..<$0.range.upperBound - start, $0.replacement) }
            let replaced = TextEdit.apply(shifted, to: Array(old[start..<stop]))
            return (lines(old[start..<stop]), lines(replaced[...]))
        }

        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        func emit(_ prefix: String, _ line: ArraySlice<UInt8>) {
            out += prefix + String(decoding: line, as: UTF8.self)
            if line.last != UInt8(ascii: "\n") { out += "\n\\ No newline at end of file\n" }
        }
        var delta = 0
        var index = 0
        while index < chunks.count {
            var groupEnd = index
            while groupEnd + 1 < chunks.count && chunks[groupEnd + 1].first - chunks[groupEnd].last - 1 <= 2 * context {
                groupEnd += 1
            }
            let oldStart = max(0, chunks[index].first - context)
            let oldStop = min(lineStarts.count - 1, chunks[groupEnd].last + context)
            let groupDelta = (index...groupEnd).reduce(0) { $0 + changes[$1].new.count - changes[$1].old.count }
            let oldCount = oldStop - oldStart + 1
            out += "@@ -\(oldStart + 1),\(oldCount) +\(oldStart + 1 + delta),\(oldCount + groupDelta) @@\n"
            var cursor = oldStart
            for chunkIndex in index...groupEnd {
                let chunk = chunks[chunkIndex]
                for contextLine in cursor..<chunk.first { emit(" ", old[lineStarts[contextLine]..<end(ofLine: contextLine)]) }
                for removed in changes[chunkIndex].old { emit("-", removed) }
                for added in changes[chunkIndex].new { emit("+", added) }
                cursor = chunk.last + 1
            }
            if cursor <= oldStop {
                for contextLine in cursor...oldStop { emit(" ", old[lineStarts[contextLine]..<end(ofLine: contextLine)]) }
            }
            delta += groupDelta
            index = groupEnd + 1
        }
        return out
    }
}
