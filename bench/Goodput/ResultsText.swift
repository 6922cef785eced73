// The prose of docs/results.md that does not depend on the run.

extension ResultsDocument {
    static let scenarioText = """

        The cluster scenarios' services per edge site: `chat` (Llama-3 8B Q4, TTFT 1 s, TPOT 100 ms)
        and `code` (Qwen2.5 1.5B, TTFT 500 ms, TPOT 50 ms) replay the Azure LLM inference 2023
        conversation and code traces, each site from its own phase; `detect` (YOLO11s, 15 fps per
        camera, 66 ms) and `segment` (DeepLabv3+ MobileNetV2, 10 fps, 100 ms) are camera streams;
        `photo` (ResNet-50, 100 ms) follows ServeGen's `mm-image` per-client rates from 10:00 of its
        day; one `big-chat` (Llama-3.3 70B Q4, priority 2). The skewed scenario is the medium one
        with ServeGen's busiest clients — those bringing 75% of its image requests over the replayed
        hour — all arriving at site-a, the rest at site-b: the concentration is the trace's own.
        A load of k× scales every rate and camera count by k and speeds the traces up k-fold. Every
        policy dispatches as `serve` does for it (EPARA and AlpaServe by estimated completion,
        `local` within the request's node, `round-robin` by its plan's weights); no in-run
        replanning (each load has the plan made for it).


        """

    static let ablationText = """

        The ablations are not run on the 400-node cluster ("-"): each would take as long as its
        policies' run. Without categories: no frame packing, single devices and model-parallel groups considered
        for every service alike, one greedy stage. Without model parallelism: every instance on
        one device. Without burst replicas: no burst phase (docs/plan.md §2). LLMs prefill-first:
        every policy's LLM instances are simulated with chunked prefill (vLLM V1, SGLang,
        llama.cpp's server; docs/serve.md §1); this column simulates EPARA's plans with waiting
        prompts prefilled alone ahead of the decodes, as vLLM V0 ran them.

        ## Faults at 1× (EPARA)


        """

    static let reproduce = """

        ## Reproduce

        ```sh
        make eval          # release build; writes docs/results.md and docs/results/*.svg (not the large cluster)
        make eval-large    # the same with the 400-node cluster (about an hour on two cores)
        make eval-quick    # the smoke test CI runs: small and the AlpaServe setting, 60 s, one seed
        epara classify examples/edge-lab/*.yaml | epara capacity - \\
          --trace chat=examples/traces/AzureLLMInferenceTrace_conv.csv --format table   # one scenario, by hand
        ```

        Every scenario is a directory of [bench/scenarios](../bench/scenarios) (its README says how to
        read them): the Cluster and Services files at 1× and a `scenario.yaml` saying how the traces in
        `examples/traces` (sources and licences in its README) feed the services.

        """
}
