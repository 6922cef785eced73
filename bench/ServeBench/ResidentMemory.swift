import Foundation

/// Resident memory of this process, sampled while a run goes on: the simulator's own peak,
/// apart from the planner's before it (getrusage's peak would report the larger of the two).
final class ResidentMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var peakBytes = 0
    private var running = true
    private var thread: Thread?

    static func currentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Starts sampling every `intervalS` seconds.
    func start(intervalS: Double = 0.05) {
        peakBytes = Self.currentBytes()
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                let now = Self.currentBytes()
                lock.withLock { peakBytes = max(peakBytes, now) }
                Thread.sleep(forTimeInterval: intervalS)
            }
        }
        self.thread = thread
        thread.start()
    }

    /// Stops sampling; the peak seen, in MiB.
    func stop() -> Int {
        let now = Self.currentBytes()
        return lock.withLock {
            running = false
            peakBytes = max(peakBytes, now)
            return peakBytes / (1 << 20)
        }
    }
}
