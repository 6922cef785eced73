import DequeModule
import HeapModule

// LLM serving as vLLM V1, llama.cpp's server and Sarathi-Serve run it: chunked prefill. Every
// step carries one token for each running sequence first; what is left of the token budget goes
// to prompt chunks — the prompts already admitted, in the order they were admitted, then new
// ones from the queue while the instance has room for another sequence (its plan batch, vLLM's
// max_num_seqs, llama.cpp's --parallel). A prompt's first token comes with the step that takes
// its last chunk. So a burst of long prompts no longer stalls the decodes: each step costs at
// most the budget's tokens. The KV cache bounds the tokens held: when the next step would not
// fit, the sequence admitted last is preempted and recomputed later, as vLLM does.
extension RequestCore {
    /// The next step of LLM instance `i` under chunked prefill; nil when it has nothing to do.
    func formChunkedStep(_ i: InstanceIndex, llm: LLMTiming) -> WorkIndex? {
        let now = executor.now
        let preempting = makeRoomInCache(i)
        let decodes = instances[i].running.count
        var left = max(config.tokenBudget - decodes, 0)
        var promptTokens = 0
        var held = instances[i].contextSum + Double(decodes)
        for k in instances[i].prefilling.indices {
            let take = min(instances[i].prefilling[k].tokensLeft, left)
            instances[i].prefilling[k].scheduled = take
            left -= take
            promptTokens += take
            held += Double(instances[i].prefilling[k].done + take)
        }
        // Preempted sequences first, then new prompts earliest deadline first, while there is
        // budget, a free sequence and room in the cache for their first chunk (none when this
        // step had to preempt, as in vLLM).
        while !preempting, left > 0, instances[i].running.count + instances[i].prefilling.count < hot[i].batch {
            var prompt: PromptInProgress
            if let preempted = instances[i].preempted.first {
                prompt = preempted
            } else if let head = instances[i].edf.min?.request {
                prompt = PromptInProgress(request: head, tokens: Int(max(head.inputTokens, 1)))
            } else {
                break
            }
            let take = min(prompt.tokensLeft, left)
            guard held + Double(take) <= llm.cacheTokens || (decodes == 0 && instances[i].prefilling.isEmpty) else { break }
            if instances[i].preempted.isEmpty {
                instances[i].edf.removeMin()
                if cannotMakeIt(prompt.request, processingS: llm.stepS(promptTokens: prompt.tokens, decodes: decodes, context: 0), now: now) {
                    drop(prompt.request, .deadlineUnreachable)
                    continue
                }
            } else {
                instances[i].preempted.removeFirst()
            }
            prompt.scheduled = take
            instances[i].prefilling.append(prompt)
            left -= take
            promptTokens += take
            held += Double(take)
        }
        guard decodes > 0 || promptTokens > 0 else { return nil }
        let w = newWork(i, kind: promptTokens > 0 ? .step : .decode)
        let context = decodes > 0 ? instances[i].contextSum / Double(decodes) : 0
        works[w].durationS = llm.stepS(promptTokens: promptTokens, decodes: decodes, context: context)
        if promptTokens == 0 { formDecodeRun(w, on: i, llm: llm) }
        return w
    }

    /// A chunked step ended: every running sequence has one more token, every scheduled chunk is
    /// in the cache; prompts whose last chunk ran have their first token and start decoding.
    func chunkedStepFinished(on i: InstanceIndex, at now: Double) {
        if !instances[i].running.isEmpty { decodeStepFinished(on: i, at: now) }
        var k = 0
        while k < instances[i].prefilling.count {
            instances[i].prefilling[k].done += instances[i].prefilling[k].scheduled
            instances[i].prefilling[k].scheduled = 0
            guard instances[i].prefilling[k].tokensLeft == 0 else {
                k += 1
                continue
            }
            let prompt = instances[i].prefilling.remove(at: k)
            var r = prompt.request
            if r.firstToken.isNaN {
                r.firstToken = now
                executor.firstToken(
                    r, paceS: llms[i].unsafelyUnwrapped.decodeS(batch: instances[i].running.count + 1, context: Double(prompt.tokens)))
            }
            let remaining = prompt.outputLeft
            if remaining <= 0 {
                complete(r, at: now)
            } else {
                instances[i].contextSum += Double(prompt.tokens) + 1
                instances[i].running.insert(
                    RunningSequence(finishStep: instances[i].step + remaining, request: r, admitted: instances[i].nextAdmission))
                instances[i].nextAdmission += 1
            }
        }
    }

    /// Preempts sequences, the one admitted last first, until the next step's tokens fit the
    /// instance's KV cache (vLLM's recompute preemption): a preempted sequence goes back to the
    /// head of the queue and, when admitted again, runs its prompt and the tokens it had made as
    /// one prompt, then decodes the rest.
    /// Returns whether it preempted any.
    func makeRoomInCache(_ i: InstanceIndex) -> Bool {
        let cache = llms[i].unsafelyUnwrapped.cacheTokens
        guard cache.isFinite else { return false }
        var preempted = false
        func held() -> Double {
            var total = instances[i].contextSum + Double(instances[i].running.count)
            for p in instances[i].prefilling { total += Double(p.done) }
            return total
        }
        while held() > cache, instances[i].running.count + instances[i].prefilling.count > 1 {
            preempted = true
            if var last = instances[i].prefilling.popLast() {
                last.done = 0
                last.scheduled = 0
                requeue(last, on: i)
                continue
            }
            var sequences = Array(instances[i].running.unordered)
            let victim = sequences.indices.max { sequences[$0].admitted < sequences[$1].admitted }!
            let sequence = sequences.remove(at: victim)
            instances[i].running = Heap(sequences)
            let made = Int(sequence.request.outputTokens) - 1 - (sequence.finishStep - instances[i].step)
            let tokens = Int(sequence.request.inputTokens) + 1 + max(made, 0)
            instances[i].contextSum -= Double(tokens)
            var prompt = PromptInProgress(request: sequence.request, tokens: tokens)
            // Its recompute samples the next token, as a prompt's last chunk does.
            prompt.outputLeft = sequence.finishStep - instances[i].step - 1
            requeue(prompt, on: i)
        }
        return preempted
    }

    /// A preempted sequence, first in line to be admitted again.
    private func requeue(_ prompt: PromptInProgress, on i: InstanceIndex) {
        // The one admitted last goes back first: it is first in line again.
        instances[i].preempted.prepend(prompt)
        preemptions += 1
    }
}

/// A prompt admitted to an LLM instance whose tokens are still being prefilled (chunked prefill),
/// or a preempted sequence's prompt and output so far, to be recomputed.
struct PromptInProgress {
    var request: Request
    /// Tokens to prefill.
    var tokens: Int
    var done = 0
    /// Tokens in the step now running.
    var scheduled = 0
    /// Tokens it makes after the one its last chunk samples: a new prompt's answer less its first
    /// token; a preempted sequence's tokens still to make less the one its recompute samples.
    var outputLeft = 0

    init(request: Request, tokens: Int) {
        self.request = request
        self.tokens = tokens
        outputLeft = Int(request.outputTokens) - 1
    }

    var tokensLeft: Int { tokens - done }
}
