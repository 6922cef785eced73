// LLM serving as vLLM V0 did it (`--llm-scheduler prefill-first`): iterations of continuous
// batching — a prefill of waiting prompts (up to the token budget) while the decode batch has
// room, else one decode step for every running sequence — and what each kind of iteration
// leaves behind when it ends. The default, chunked prefill, is ChunkedPrefill.swift; decode
// steps are the same in both.
extension RequestCore {
    /// The next iteration of LLM instance `i`: a prefill or a decode step; nil when idle.
    func formLLMIteration(_ i: InstanceIndex, llm: LLMTiming) -> WorkIndex? {
        if config.llmScheduler == .chunked { return formChunkedStep(i, llm: llm) }
        let now = executor.now
        let free = hot[i].batch - instances[i].running.count
        if free > 0, !instances[i].edf.isEmpty {
            let w = newWork(i, kind: .prefill)
            var tokens = 0
            while works[w].requests.count < free, let head = instances[i].edf.min?.request {
                let t = Int(head.inputTokens)
                if !works[w].requests.isEmpty, tokens + t > config.tokenBudget { break }
                instances[i].edf.removeMin()
                if cannotMakeIt(head, processingS: llm.prefillS(tokens: tokens + t), now: now) {
                    drop(head, .deadlineUnreachable)
                    continue
                }
                tokens += t
                works[w].requests.append(head)
            }
            if !works[w].requests.isEmpty {
                works[w].durationS = llm.prefillS(tokens: tokens)
                return w
            }
            release(w)
        }
        if !instances[i].running.isEmpty {
            let w = newWork(i, kind: .decode)
            let running = instances[i].running.count
            works[w].durationS = llm.decodeS(batch: running, context: instances[i].contextSum / Double(running))
            formDecodeRun(w, on: i, llm: llm)
            return w
        }
        return nil
    }

    /// A prefill ended: every prompt has its first token; those wanting more join the decode batch.
    @inline(__always) func prefillFinished(_ w: WorkIndex, on i: InstanceIndex, at now: Double) {
        for var r in works[w].requests {
            r.firstToken = now
            executor.firstToken(r, paceS: llms[i].unsafelyUnwrapped.decodeS(batch: instances[i].running.count + 1, context: Double(r.inputTokens)))
            if r.outputTokens <= 1 {
                complete(r, at: now)
            } else {
                instances[i].contextSum += Double(r.inputTokens) + 1
                instances[i].running.insert(RunningSequence(finishStep: instances[i].step + Int(r.outputTokens) - 1, request: r))
            }
        }
    }

    /// A decode step (or a run of `steps`) ended: every running sequence has one more token per
    /// step; finished ones complete.
    @inline(__always) func decodeStepFinished(on i: InstanceIndex, at now: Double, steps: Int = 1) {
        for _ in 0..<steps {
            instances[i].step += 1
            instances[i].contextSum += Double(instances[i].running.count)
        }
        while let next = instances[i].running.min, next.finishStep <= instances[i].step {
            instances[i].running.removeMin()
            instances[i].contextSum -= Double(next.request.inputTokens + next.request.outputTokens)
            complete(next.request, at: now)
        }
        if instances[i].running.isEmpty { instances[i].contextSum = 0 }
    }
}
