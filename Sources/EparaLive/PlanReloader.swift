import EparaCore
import EparaPlan
import Foundation
import Logging

/// Puts a new plan file in force on SIGHUP or when the file changes (its modification time or
/// size); one it cannot read, or one for other nodes or services, is refused and the current
/// plan kept.
actor PlanReloader {
    let path: String
    let engine: LiveEngine
    let recording: LiveRecording?
    let logger: Logger
    let read: @Sendable (String) throws -> Plan
    var seen: (Date?, Int?)

    init(path: String, engine: LiveEngine, recording: LiveRecording?, logger: Logger, read: @escaping @Sendable (String) throws -> Plan) {
        self.path = path
        self.engine = engine
        self.recording = recording
        self.logger = logger
        self.read = read
        seen = Self.stamp(path)
    }

    static func stamp(_ path: String) -> (Date?, Int?) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.modificationDate] as? Date, (attributes?[.size] as? NSNumber)?.intValue)
    }

    func reloadIfChanged() async {
        let now = Self.stamp(path)
        guard now.0 != nil, now.0 != seen.0 || now.1 != seen.1 else { return }
        await reload(because: "the plan file changed")
    }

    func reload(because trigger: String) async {
        seen = Self.stamp(path)
        do {
            let next = try read(path)
            if engine.plan == next { return }
            try engine.reload(next)
            await recording?.record(plan: next, logger: logger)
            logger.info("reloaded the plan", metadata: ["trigger": "\(trigger)", "policy": "\(next.policy)", "instances": "\(next.instances.count)"])
        } catch {
            logger.error("kept the current plan: the new one is refused", metadata: ["trigger": "\(trigger)", "error": "\(error)"])
        }
    }
}
