import GRDB

extension StoreSchema {
    /// `v2_rollup`: `instances.rolled_through`, the second (Unix time) from which an instance's seconds rows are not
    /// yet whole in its minutes and hours rows (the writer keeps the open minute in memory, see ``SeriesRollup``).
    /// NULL for instances written before it, whose every flush wrote all three tables.
    static func registerRollup(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2_rollup") { db in
            try db.execute(sql: "ALTER TABLE instances ADD COLUMN rolled_through INTEGER")
        }
    }
}
