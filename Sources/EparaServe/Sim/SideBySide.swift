import Foundation

/// `body(0)`, …, `body(count - 1)` run on the machine's cores at once (a simulation per seed),
/// their results in index order; the first error, by index, is thrown.
public func sideBySide<T: Sendable>(_ count: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
    let results = IndexedResults<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { k in results.set(k, Result { try body(k) }) }
    return try results.values()
}

/// Results filled from several threads, by index.
private final class IndexedResults<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<T, any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ k: Int, _ result: Result<T, any Error>) {
        lock.lock()
        results[k] = result
        lock.unlock()
    }

    func values() throws -> [T] {
        lock.lock()
        defer { lock.unlock() }
        return try results.map { try $0!.get() }
    }
}
