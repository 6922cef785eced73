import EparaCore
import Foundation
import GRDB

/// Per-window statistics of one service at one node, as `serve` measures them.
public struct WindowStats: Hashable, Sendable, Codable {
    public var runId: String
    public var windowStartS: Double
    public var windowLengthS: Double
    public var service: String
    /// The node where the requests arrived.
    public var node: String
    public var arrivals: Int
    public var completedInSLO: Int
    public var completedLate: Int
    public var dropped: Int
    public var failed: Int

    public init(
        runId: String, windowStartS: Double, windowLengthS: Double, service: String, node: String, arrivals: Int,
        completedInSLO: Int, completedLate: Int, dropped: Int, failed: Int
    ) {
        self.runId = runId
        self.windowStartS = windowStartS
        self.windowLengthS = windowLengthS
        self.service = service
        self.node = node
        self.arrivals = arrivals
        self.completedInSLO = completedInSLO
        self.completedLate = completedLate
        self.dropped = dropped
        self.failed = failed
    }
}

/// Gaps between consecutive arrivals of one service (at any node) in one window: how many,
/// their sum and sum of squares (seconds) — the burstiness `plan --state` reads as a
/// coefficient of variation.
public struct GapWindow: Hashable, Sendable, Codable {
    public var runId: String
    public var windowStartS: Double
    public var service: String
    public var gaps: Int
    public var sumS: Double
    public var squaresS2: Double

    public init(runId: String, windowStartS: Double, service: String, gaps: Int, sumS: Double, squaresS2: Double) {
        self.runId = runId
        self.windowStartS = windowStartS
        self.service = service
        self.gaps = gaps
        self.sumS = sumS
        self.squaresS2 = squaresS2
    }
}

public struct NodeHealth: Hashable, Sendable, Codable {
    public var runId: String
    public var timeS: Double
    public var node: String
    public var up: Bool

    public init(runId: String, timeS: Double, node: String, up: Bool) {
        self.runId = runId
        self.timeS = timeS
        self.node = node
        self.up = up
    }
}

/// The SQLite state store that `serve` writes and `plan --state` reads. One type owns the
/// database and its migrations; migrations are never edited once shipped, only appended.
public final class StateStore: Sendable {
    private let writer: any DatabaseWriter

    /// Opens (creating if needed) a store file in WAL mode, so a replanning cron job can read
    /// while a gateway writes.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        writer = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
    }

    /// An in-memory store, for tests and one-shot runs.
    public init() throws {
        writer = try DatabaseQueue()
        try Self.migrator.migrate(writer)
    }

    /// Opens an existing store for reading; a missing file is an input error (exit 66), a file
    /// that is not an epara store a data error (65).
    public static func open(existing path: String) throws(InputError) -> StateStore {
        let location = SourceLocation(file: path, line: 1, column: 1)
        guard FileManager.default.fileExists(atPath: path) else {
            throw InputError(.missingInput, at: location, "no such state store")
        }
        do {
            return try StateStore(path: path)
        } catch {
            throw InputError(.badData, at: location, "not an epara state store: \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, windows, node health, plans") { db in
            try db.create(table: "run") { t in
                t.primaryKey("id", .text)
                t.column("engine", .text).notNull()
                t.column("planDigest", .text).notNull()
                t.column("traceDigest", .text).notNull()
                t.column("summary", .text).notNull()
            }
            try db.create(table: "windowStats") { t in
                t.column("runId", .text).notNull().references("run", onDelete: .cascade)
                t.column("windowStartS", .double).notNull()
                t.column("windowLengthS", .double).notNull()
                t.column("service", .text).notNull()
                t.column("node", .text).notNull()
                t.column("arrivals", .integer).notNull()
                t.column("completedInSLO", .integer).notNull()
                t.column("completedLate", .integer).notNull()
                t.column("dropped", .integer).notNull()
                t.column("failed", .integer).notNull()
                t.primaryKey(["runId", "windowStartS", "service", "node"])
            }
            try db.create(table: "nodeHealth") { t in
                t.column("runId", .text).notNull().references("run", onDelete: .cascade)
                t.column("timeS", .double).notNull()
                t.column("node", .text).notNull()
                t.column("up", .boolean).notNull()
                t.primaryKey(["runId", "timeS", "node"])
            }
            try db.create(table: "plan") { t in
                t.primaryKey("digest", .text)
                t.column("policy", .text).notNull()
                t.column("document", .text).notNull()
            }
        }
        migrator.registerMigration("v2: gaps between arrivals per window") { db in
            try db.create(table: "gapWindow") { t in
                t.column("runId", .text).notNull().references("run", onDelete: .cascade)
                t.column("windowStartS", .double).notNull()
                t.column("service", .text).notNull()
                t.column("gaps", .integer).notNull()
                t.column("sumS", .double).notNull()
                t.column("squaresS2", .double).notNull()
                t.primaryKey(["runId", "windowStartS", "service"])
            }
        }
        return migrator
    }

    // MARK: Writing

    /// Records a run with its windows and node health in one transaction (or replaces it).
    public func record(
        runId: String, engine: String, planDigest: String, traceDigest: String, summaryJSON: String,
        windows: [WindowStats], health: [NodeHealth], gaps: [GapWindow] = []
    ) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [runId])
            try db.execute(
                sql: "INSERT INTO run (id, engine, planDigest, traceDigest, summary) VALUES (?, ?, ?, ?, ?)",
                arguments: [runId, engine, planDigest, traceDigest, summaryJSON])
            for w in windows {
                try db.execute(
                    sql: """
                        INSERT INTO windowStats (runId, windowStartS, windowLengthS, service, node, arrivals, completedInSLO,
                                                 completedLate, dropped, failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        w.runId, w.windowStartS, w.windowLengthS, w.service, w.node, w.arrivals, w.completedInSLO,
                        w.completedLate, w.dropped, w.failed,
                    ])
            }
            for h in health {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO nodeHealth (runId, timeS, node, up) VALUES (?, ?, ?, ?)",
                    arguments: [h.runId, h.timeS, h.node, h.up])
            }
            for g in gaps {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO gapWindow (runId, windowStartS, service, gaps, sumS, squaresS2) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [g.runId, g.windowStartS, g.service, g.gaps, g.sumS, g.squaresS2])
            }
        }
    }

    /// Adds to a run still going (the live engine): creates its row on first use, updates its
    /// summary and plan, and writes windows and health samples over any of the same keys.
    public func append(
        runId: String, engine: String, planDigest: String, traceDigest: String, summaryJSON: String,
        windows: [WindowStats], health: [NodeHealth], gaps: [GapWindow] = []
    ) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO run (id, engine, planDigest, traceDigest, summary) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET planDigest = excluded.planDigest, summary = excluded.summary
                    """, arguments: [runId, engine, planDigest, traceDigest, summaryJSON])
            for w in windows {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO windowStats (runId, windowStartS, windowLengthS, service, node, arrivals, completedInSLO,
                                                            completedLate, dropped, failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        w.runId, w.windowStartS, w.windowLengthS, w.service, w.node, w.arrivals, w.completedInSLO,
                        w.completedLate, w.dropped, w.failed,
                    ])
            }
            for h in health {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO nodeHealth (runId, timeS, node, up) VALUES (?, ?, ?, ?)",
                    arguments: [h.runId, h.timeS, h.node, h.up])
            }
            for g in gaps {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO gapWindow (runId, windowStartS, service, gaps, sumS, squaresS2) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [g.runId, g.windowStartS, g.service, g.gaps, g.sumS, g.squaresS2])
            }
        }
    }

    public func record(planDigest: String, policy: String, document: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO plan (digest, policy, document) VALUES (?, ?, ?)",
                arguments: [planDigest, policy, document])
        }
    }

    // MARK: Reading

    /// Demand over the last `lastWindows` windows of the most recently recorded run, and the
    /// latest health of each node in it.
    public func observedDemand(lastWindows: Int = 5) throws -> ObservedDemand {
        try writer.read { db in
            guard let runId = try String.fetchOne(db, sql: "SELECT id FROM run ORDER BY rowid DESC LIMIT 1") else {
                return .empty
            }
            let starts = try Double.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT windowStartS FROM windowStats WHERE runId = ? ORDER BY windowStartS DESC LIMIT ?
                    """, arguments: [runId, lastWindows])
            var byOrigin: [String: [String: Double]] = [:]
            var cv: [String: Double] = [:]
            if let earliest = starts.last {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT service, node, SUM(arrivals) AS arrivals
                        FROM windowStats WHERE runId = ? AND windowStartS >= ? GROUP BY service, node ORDER BY service, node
                        """, arguments: [runId, earliest])
                let length =
                    try Double.fetchOne(
                        db, sql: "SELECT MAX(windowLengthS) FROM windowStats WHERE runId = ?",
                        arguments: [runId]) ?? 1
                for row in rows {
                    let service: String = row["service"], node: String = row["node"]
                    let arrivals: Double = row["arrivals"]
                    // Rate over every window read, whether or not this pair saw arrivals in each.
                    byOrigin[service, default: [:]][node] = arrivals / (length * Double(starts.count))
                }
                // Burstiness: the CV of each service's arrival gaps over the windows read.
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT service, SUM(gaps) AS gaps, SUM(sumS) AS sumS, SUM(squaresS2) AS squaresS2
                        FROM gapWindow WHERE runId = ? AND windowStartS >= ? GROUP BY service ORDER BY service
                        """, arguments: [runId, earliest])
                {
                    let gaps = ArrivalGaps(count: row["gaps"], sumS: row["sumS"], squaresS2: row["squaresS2"])
                    if let value = gaps.cv { cv[row["service"] as String] = value }
                }
            }
            let health = try Row.fetchAll(
                db,
                sql: """
                    SELECT node, up FROM nodeHealth h WHERE runId = ? AND timeS = (
                        SELECT MAX(timeS) FROM nodeHealth WHERE runId = h.runId AND node = h.node) ORDER BY node
                    """, arguments: [runId])
            let down = health.filter { !($0["up"] as Bool) }.map { $0["node"] as String }
            var demand: [String: Double] = [:]
            for (service, origins) in byOrigin { demand[service] = origins.values.reduce(0, +) }
            return ObservedDemand(
                runId: runId, demandPerS: demand, demandByOrigin: byOrigin, nodesDown: down,
                windowsRead: starts.count, cv: cv.isEmpty ? nil : cv)
        }
    }

    /// A recorded run, newest last in `runs()`.
    public struct RunRow: Hashable, Sendable {
        public var id: String
        public var engine: String
        public var planDigest: String
        public var traceDigest: String
        /// The run's totals so far (a `ServiceTotals` document).
        public var summary: String
    }

    public func runs() throws -> [RunRow] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, engine, planDigest, traceDigest, summary FROM run ORDER BY rowid").map {
                RunRow(id: $0["id"], engine: $0["engine"], planDigest: $0["planDigest"], traceDigest: $0["traceDigest"], summary: $0["summary"])
            }
        }
    }

    /// The windows of a run that start in [from, to).
    public func windows(runId: String, from: Double = -.infinity, to: Double = .infinity) throws -> [WindowStats] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM windowStats WHERE runId = ? AND windowStartS >= ? AND windowStartS < ?
                    ORDER BY windowStartS, service, node
                    """, arguments: [runId, from.isFinite ? from : -1e300, to.isFinite ? to : 1e300]
            ).map { row in
                WindowStats(
                    runId: row["runId"], windowStartS: row["windowStartS"], windowLengthS: row["windowLengthS"],
                    service: row["service"], node: row["node"], arrivals: row["arrivals"], completedInSLO: row["completedInSLO"],
                    completedLate: row["completedLate"], dropped: row["dropped"], failed: row["failed"])
            }
        }
    }

    public func health(runId: String) throws -> [NodeHealth] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM nodeHealth WHERE runId = ? ORDER BY timeS, node", arguments: [runId]).map {
                NodeHealth(runId: $0["runId"], timeS: $0["timeS"], node: $0["node"], up: $0["up"])
            }
        }
    }

    public func planDocument(digest: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT document FROM plan WHERE digest = ?", arguments: [digest]) }
    }

    /// Applied migrations, for tests and `--version`-style diagnostics.
    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try Self.migrator.appliedMigrations(db) }
    }

    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}
