import EparaServe
import Foundation
import HeapModule

/// The bare event loop the simulator is built on, with nothing in it: arrivals merged from
/// the same sources by a heap of their heads, and each request one timed event on a heap
/// (pushed on arrival, popped as its completion) — what any discrete-event simulator of this
/// shape pays per request before it schedules anything. The simulator's rate divided by this
/// one is the figure that compares across machines.
enum EventLoopCeiling {
    struct Head: Comparable {
        var time: Double
        var source: Int
        static func < (a: Head, b: Head) -> Bool { (a.time, a.source) < (b.time, b.source) }
    }

    struct Event: Comparable {
        var time: Double
        var order: UInt64
        var payload: Int
        static func < (a: Event, b: Event) -> Bool { a.time < b.time || (a.time == b.time && a.order < b.order) }
        static func == (a: Event, b: Event) -> Bool { a.time == b.time && a.order == b.order }
    }

    /// Requests through the loop and the wall seconds it took; every request completes after
    /// `serviceS`.
    static func run(_ trace: TraceSet, serviceS: Double = 0.01) throws -> (requests: Int, seconds: Double) {
        var sources = trace.sources
        var heads = Heap<Head>()
        var events = Heap<Event>()
        var order: UInt64 = 0
        var arrivals = 0, completions = 0
        var checksum = 0.0
        let clock = ContinuousClock()
        let start = clock.now
        for s in sources.indices {
            if let a = try sources[s].next() { heads.insert(Head(time: a.time, source: s)) }
        }
        while true {
            let arrivalTime = heads.min?.time ?? .infinity
            let eventTime = events.min?.time ?? .infinity
            if arrivalTime == .infinity && eventTime == .infinity { break }
            if arrivalTime <= eventTime {
                let head = heads.removeMin()
                arrivals += 1
                order &+= 1
                events.insert(Event(time: head.time + serviceS, order: order, payload: arrivals))
                if let a = try sources[head.source].next() { heads.insert(Head(time: a.time, source: head.source)) }
            } else {
                let e = events.removeMin()
                completions += 1
                checksum += e.time
            }
        }
        let elapsed = clock.now - start
        precondition(completions == arrivals && checksum >= 0)
        return (arrivals, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
