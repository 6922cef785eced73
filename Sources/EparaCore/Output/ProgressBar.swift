import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on standard error, drawn only when it is a terminal. Sendable so a
/// planning run can carry one; it is drawn from one thread at a time.
public final class ProgressBar: @unchecked Sendable {
    public let label: String
    public let enabled = isatty(STDERR_FILENO) == 1
    var lastDraw = ContinuousClock.now

    public init(label: String) { self.label = label }

    public func update(fraction: Double) {
        let now = ContinuousClock.now
        guard enabled, now - lastDraw > .milliseconds(200) else { return }
        lastDraw = now
        let width = 30, filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded())
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(Int(fraction * 100))%".utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
