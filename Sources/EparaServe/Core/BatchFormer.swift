// Deadline-bounded dynamic batching: the next batch of an instance is the largest that still
// gets its most urgent request out in time (EPARA's batching for latency-sensitive services;
// frequency-sensitive ones batch whole frame packs, FramePacking.swift; LLMs form iterations,
// LLMIterations.swift).
extension RequestCore {
    /// Takes the next batch (or LLM iteration) off instance `i`'s queue; nil when nothing is left
    /// to run once the requests that can no longer make it are dropped.
    func formWork(_ i: InstanceIndex) -> WorkIndex? {
        if hot[i].isLLM { return formLLMIteration(i, llm: llms[i].unsafelyUnwrapped) }
        let now = executor.now
        let tail = hot[i].tailS
        let packing = hot[i].framesPacked > 1
        if packing && !packReady(i, now: now) {
            scheduleWake(i)
            return nil
        }
        let lone = hot[i].loneS
        while let head = instances[i].head, cannotMakeIt(head, processingS: lone, now: now) {
            instances[i].popHead()
            drop(head, .deadlineUnreachable)
        }
        guard let head = instances[i].head else { return nil }
        var size = min(instances[i].waiting, hot[i].batch)
        while size > 1, now + batchS(i, size) + tail + head.returnS > head.deadline { size -= 1 }
        let w = newWork(i, kind: .batch)
        if packing {
            takePacks(i, size: size, into: w)
        } else {
            for _ in 0..<size { works[w].requests.append(instances[i].popHead().unsafelyUnwrapped) }
        }
        return w
    }
}
