import MCPWatchCore

/// The open minute and hour of one writer, per target, kept in memory so that a flush writes one row per target (its
/// second) instead of three upserts that each merge a histogram in SQL.
///
/// A target's minute row is written when the target first appears in that minute (so the table lists it at once),
/// and again, whole, when the minute closes (a flush in a later minute, or the last flush): the minutes table lags
/// the seconds table by at most a minute. Its hour row is written as it stands at every flush. Rows are replaced, never merged: only this instance
/// writes its rows. After a SIGKILL, the open minute is rebuilt from the seconds rows from
/// `instances.rolled_through` on (``StoreWriter/recoverAbandoned(_:now:)``).
struct SeriesRollup: Sendable {
    /// The open minute's start (Unix seconds), nil before the first delta.
    var minute: Int64?
    /// The open hour's start.
    var hour: Int64?
    /// Each target's figures in the open minute.
    var minuteRows: [TargetKey: SeriesDelta] = [:]
    /// Each target's figures in the open hour (closed minutes and the open one).
    var hourRows: [TargetKey: SeriesDelta] = [:]

    /// A row to write into the minutes or hours table.
    enum Write {
        case minute(SeriesDelta)
        case hour(SeriesDelta)
    }

    /// The second from which the seconds rows are not yet whole in the minutes and hours tables.
    var rolledThrough: Int64? { minute }

    /// Takes one delta (already written as its second's row) and says which rows to write: the open minute's when
    /// this delta is in a later minute, and this target's rows when it is new in its minute or hour.
    mutating func add(_ delta: SeriesDelta, into writes: inout [Write]) {
        let minuteStart = delta.at - delta.at % 60, hourStart = delta.at - delta.at % 3_600
        if let open = minute, minuteStart > open { close(into: &writes) }
        if let open = hour, hourStart > open { hourRows.removeAll(keepingCapacity: true) }
        // A delta older than the open minute (one kept across failed flushes, then merged) counts in the open one.
        minute = max(minute ?? minuteStart, minuteStart)
        hour = max(hour ?? hourStart, hourStart)
        var stamped = delta
        stamped.at = minute!
        if minuteRows[delta.key] == nil {
            minuteRows[delta.key] = stamped
            writes.append(.minute(stamped))
        } else {
            minuteRows[delta.key]!.add(stamped)
        }
        stamped.at = hour!
        // The hour row is written as it stands at every flush: the fleet overview reads hours, and a running
        // server's calls must show there at once (a replace, no merge in SQL).
        if hourRows[delta.key] == nil { hourRows[delta.key] = stamped } else { hourRows[delta.key]!.add(stamped) }
        writes.append(.hour(hourRows[delta.key]!))
    }

    /// Closes the open minute: every target in it gets its whole minute row.
    mutating func close(into writes: inout [Write]) {
        guard let open = minute else { return }
        for (_, row) in minuteRows {
            var whole = row
            whole.at = open
            writes.append(.minute(whole))
        }
        minuteRows.removeAll(keepingCapacity: true)
    }
}
