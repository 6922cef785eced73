import EparaCore
import EparaDocuments
import EparaPlan
import Foundation
import Logging

/// What a reload puts in force: the plan, and the Backends table read with it (nil keeps the
/// current one).
public struct PlanReload: Sendable {
    public var plan: Plan
    public var backends: BackendTable?

    public init(plan: Plan, backends: BackendTable? = nil) {
        self.plan = plan
        self.backends = backends
    }

    /// Reads a plan file again, and the Backends document with it: a Kubernetes ConfigMap
    /// carries both, and a new plan's instances need their servers. Errors are located.
    public static func reader(backendsPath: String?) -> @Sendable (String) throws -> PlanReload {
        { path in
            let plan = try Plan.read(try SourceText.load(path))
            let table = try backendsPath.map { file in
                BackendTable(plan: plan, document: try BackendsDocument.read(try SourceText.load(file), plan: plan))
            }
            return PlanReload(plan: plan, backends: table)
        }
    }
}

/// Puts a new plan file in force on SIGHUP or when the file changes; one it cannot read, or one
/// for other nodes or services, is refused and the current plan kept.
///
/// A change is a new modification time or size of the file the path leads to, or a new file it
/// leads to: kubelet updates a mounted ConfigMap by writing a new directory and swapping the
/// `..data` symlink to it, so `plan.json` (a symlink into `..data`) never changes itself, and
/// the new file may well have the old one's size and time.
actor PlanReloader {
    let path: String
    let engine: LiveEngine
    let recording: StateStoreWriter?
    let logger: Logger
    let read: @Sendable (String) throws -> PlanReload
    var seen: FileStamp?

    init(
        path: String, engine: LiveEngine, recording: StateStoreWriter?, logger: Logger,
        read: @escaping @Sendable (String) throws -> PlanReload
    ) {
        self.path = path
        self.engine = engine
        self.recording = recording
        self.logger = logger
        self.read = read
        seen = FileStamp(path)
    }

    func reloadIfChanged() async {
        guard let now = FileStamp(path), now != seen else { return }
        await reload(because: "the plan file changed")
    }

    func reload(because trigger: String) async {
        seen = FileStamp(path)
        do {
            let next = try read(path)
            if engine.plan == next.plan, next.backends == nil || next.backends == engine.backends { return }
            try engine.reload(next.plan, backends: next.backends)
            await recording?.record(plan: next.plan, logger: logger)
            logger.info(
                "reloaded the plan",
                metadata: ["trigger": "\(trigger)", "policy": "\(next.plan.policyName)", "instances": "\(next.plan.instances.count)"])
        } catch {
            logger.error("kept the current plan: the new one is refused", metadata: ["trigger": "\(trigger)", "error": "\(error)"])
        }
    }
}

/// Which file a path leads to (through every symlink) and that file's identity, time and size.
/// The resolved path counts as well as the inode: kubelet deletes the old directory after the
/// swap, and its inode number may come back for the new file.
struct FileStamp: Equatable {
    var resolvedPath: String
    var device: UInt64
    var inode: UInt64
    var modifiedNs: Int64
    var size: Int64

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        resolvedPath = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        modifiedNs = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        size = Int64(info.st_size)
    }
}
