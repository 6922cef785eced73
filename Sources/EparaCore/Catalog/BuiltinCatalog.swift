/// The catalog epara knows without being told: common edge and server devices and common LLM
/// and vision models. Every number carries its source in the entry's `source` field; numbers
/// marked "calibrated" were fitted once to the measurements listed in docs/latency-model.md
/// and are checked against those and other measurements by LatencyModelValidationTests.
///
/// Conventions: `fp16`/`int8` are peak dense tensor throughput (no sparsity); `memory` is what
/// a model server can use (GPU memory sizes are binary: an "80 GB" A100 has 80 GiB; on Jetsons
/// and the Pi, the shared LPDDR less what the OS keeps);
/// `kernel_overhead` is the per-kernel launch-and-sync cost, calibrated as 6.3 µs·GHz
/// (embedded GPUs) or 6.0 µs·GHz (discrete GPUs) divided by the GPU clock.
public enum BuiltinCatalog {
    public static let name = "<built-in catalog>"

    public static let yaml = #"""
        apiVersion: epara/v1
        kind: Catalog
        metadata:
          name: built-in
        devices:
          - name: a100-80gb
            class: gpu
            memory: 80GiB
            fp16: 312TFLOPS
            int8: 624TOPS
            fp32: 19.5TFLOPS
            memory_bandwidth: 2039GB/s
            kernel_overhead: 4.2us
            source: "NVIDIA A100 datasheet (SXM4 80GB): 312 TFLOPS FP16 tensor dense, 624 TOPS INT8, 19.5 TFLOPS FP32, 2,039 GB/s HBM2e; boost 1.41 GHz"
          - name: h100
            class: gpu
            memory: 80GiB
            fp16: 989TFLOPS
            int8: 1979TOPS
            fp32: 67TFLOPS
            memory_bandwidth: 3350GB/s
            kernel_overhead: 3.0us
            source: "NVIDIA H100 datasheet (SXM5 80GB): 989 TFLOPS FP16 tensor dense, 1,979 TOPS INT8, 67 TFLOPS FP32, 3.35 TB/s HBM3; boost 1.98 GHz"
          - name: a40
            class: gpu
            memory: 48GiB
            fp16: 149.7TFLOPS
            int8: 299.3TOPS
            fp32: 37.4TFLOPS
            memory_bandwidth: 696GB/s
            kernel_overhead: 3.4us
            source: "NVIDIA A40 datasheet: 149.7 TFLOPS FP16 tensor dense, 299.3 TOPS INT8, 37.4 TFLOPS FP32, 696 GB/s GDDR6; boost 1.74 GHz"
          - name: l4
            class: gpu
            memory: 24GiB
            fp16: 121TFLOPS
            int8: 242TOPS
            fp32: 30.3TFLOPS
            memory_bandwidth: 300GB/s
            kernel_overhead: 2.9us
            source: "NVIDIA L4 datasheet: 242 TFLOPS FP16 / 485 TOPS INT8 with sparsity (half without), 30.3 TFLOPS FP32, 300 GB/s GDDR6; boost 2.04 GHz"
          - name: t4
            class: gpu
            memory: 16GiB
            fp16: 65TFLOPS
            int8: 130TOPS
            fp32: 8.1TFLOPS
            memory_bandwidth: 320GB/s
            kernel_overhead: 3.8us
            source: "NVIDIA T4 datasheet: 65 TFLOPS FP16 mixed precision, 130 TOPS INT8, 8.1 TFLOPS FP32, 320 GB/s GDDR6; boost 1.59 GHz"
          - name: rtx-3090
            class: gpu
            memory: 24GiB
            fp16: 71TFLOPS
            int8: 284TOPS
            fp32: 35.6TFLOPS
            memory_bandwidth: 936GB/s
            kernel_overhead: 3.5us
            source: "NVIDIA Ampere GA102 whitepaper, RTX 3090: 71 TFLOPS FP16 tensor dense with FP32 accumulate, 284 TOPS INT8, 35.6 TFLOPS FP32, 936 GB/s GDDR6X; boost 1.695 GHz"
          - name: rtx-4090
            class: gpu
            memory: 24GiB
            fp16: 165.2TFLOPS
            int8: 660.6TOPS
            fp32: 82.6TFLOPS
            memory_bandwidth: 1008GB/s
            kernel_overhead: 2.4us
            source: "NVIDIA Ada Lovelace whitepaper, RTX 4090: 165.2 TFLOPS FP16 tensor dense with FP32 accumulate, 660.6 TOPS INT8, 82.6 TFLOPS FP32, 1,008 GB/s GDDR6X; boost 2.52 GHz"
          - name: jetson-agx-orin-64gb
            class: embedded-gpu
            memory: 56GiB
            fp16: 42.5TFLOPS
            int8: 85TOPS
            fp32: 5.3TFLOPS
            memory_bandwidth: 204.8GB/s
            kernel_overhead: 4.8us
            source: "NVIDIA Jetson AGX Orin series datasheet: 2048-core Ampere GPU with 64 tensor cores at 1.3 GHz, 170 sparse INT8 TOPS on the GPU (85 dense; FP16 half of that), 64 GB LPDDR5 at 204.8 GB/s shared with the CPU (56 GiB assumed usable)"
          - name: jetson-orin-nx-16gb
            class: embedded-gpu
            memory: 13GiB
            fp16: 15TFLOPS
            int8: 30TOPS
            fp32: 1.88TFLOPS
            memory_bandwidth: 102.4GB/s
            kernel_overhead: 6.8us
            source: "NVIDIA Jetson Orin NX series datasheet: 1024-core Ampere GPU with 32 tensor cores at 918 MHz (60 sparse INT8 TOPS on the GPU, 30 dense; FP16 half of that), 16 GB LPDDR5 at 102.4 GB/s shared (13 GiB assumed usable)"
          - name: jetson-orin-nano-8gb
            class: embedded-gpu
            memory: 6GiB
            fp16: 10TFLOPS
            int8: 20TOPS
            fp32: 1.28TFLOPS
            memory_bandwidth: 68GB/s
            kernel_overhead: 10us
            source: "NVIDIA Jetson Orin Nano series datasheet (original power mode): 1024-core Ampere GPU with 32 tensor cores at 625 MHz, 40 sparse INT8 TOPS (20 dense; FP16 half of that), 8 GB LPDDR5 at 68 GB/s shared (6 GiB assumed usable)"
          - name: jetson-orin-nano-super
            class: embedded-gpu
            memory: 6GiB
            fp16: 16.7TFLOPS
            int8: 33.4TOPS
            fp32: 2.09TFLOPS
            memory_bandwidth: 102GB/s
            kernel_overhead: 6.1us
            source: "NVIDIA Jetson Orin Nano Super Developer Kit (JetPack 6.1 MAXN SUPER): GPU at 1020 MHz, 67 sparse INT8 TOPS (33.4 dense; FP16 half of that), 8 GB LPDDR5 at 102 GB/s shared (6 GiB assumed usable)"
          - name: raspberry-pi-5
            class: cpu
            memory: 6.5GiB
            fp16: 0.307TFLOPS
            int8: 0.614TOPS
            fp32: 0.154TFLOPS
            memory_bandwidth: 17.1GB/s
            kernel_overhead: 1us
            source: "Raspberry Pi 5 product brief: 4x Cortex-A76 at 2.4 GHz (2x128-bit NEON FMA per core: 16 FP32, 32 FP16 FLOP/cycle; SDOT 64 INT8 op/cycle), 8 GB LPDDR4X-4267 on a 32-bit bus (17.1 GB/s; 6.5 GiB assumed usable)"
        models:
          - name: yolo11n
            kind: vision
            precision: fp16
            parameters: 2.6M
            gflops: 6.5
            activation_memory: 40MiB
            kernels: 500
            input_size: 150KB
            output_size: 4KB
            source: "Ultralytics YOLO11 docs, detection table at 640: 2.6M params, 6.5 GFLOPs; kernels calibrated (TensorRT batch-1 latency, see docs/latency-model.md); input a 1280x720 JPEG frame"
          - name: yolo11s
            kind: vision
            precision: fp16
            parameters: 9.4M
            gflops: 21.5
            activation_memory: 80MiB
            kernels: 500
            input_size: 150KB
            output_size: 4KB
            source: "Ultralytics YOLO11 docs, detection table at 640: 9.4M params, 21.5 GFLOPs; same layer graph as YOLO11n, so the same kernel count"
          - name: resnet-50
            kind: vision
            precision: int8
            parameters: 25.6M
            gflops: 8.2
            activation_memory: 25MiB
            kernels: 60
            input_size: 110KB
            output_size: 1KB
            source: "He et al. 2016 / torchvision docs: 25.6M params, 4.1 GMACs (8.2 GFLOPs) at 224x224; INT8 as MLPerf edge submissions run it; about 60 kernels after TensorRT fusion (53 convolutions, pooling, FC)"
          - name: deeplabv3plus-mobilenetv2
            kind: vision
            precision: fp16
            parameters: 5.8M
            gflops: 17.0
            activation_memory: 120MiB
            kernels: 150
            input_size: 200KB
            output_size: 60KB
            source: "VainF/DeepLabV3Plus-Pytorch model table: DeepLabV3Plus-MobileNet 17.0 GFLOPs at 513x513, 5.8M params; kernel count estimated from the layer graph"
          - name: unet
            kind: vision
            precision: fp16
            parameters: 31.0M
            gflops: 436.9
            activation_memory: 600MiB
            kernels: 40
            input_size: 200KB
            output_size: 60KB
            source: "Ronneberger et al. 2015 architecture (64-1024 channels, 23 convolutions): 31.0M params; 436.9 GFLOPs computed for a padded 512x512 input (2 FLOPs per MAC)"
          - name: segformer-b0
            kind: vision
            precision: fp16
            parameters: 3.8M
            gflops: 8.4
            activation_memory: 100MiB
            kernels: 200
            input_size: 200KB
            output_size: 60KB
            source: "Xie et al. 2021 (SegFormer) Table 1: MiT-B0, 3.8M params, 8.4 GFLOPs at 512x512 (ADE20K); kernel count estimated from the layer graph"
          - name: sam-vit-b
            kind: vision
            precision: fp16
            parameters: 93.7M
            gflops: 940
            activation_memory: 1.5GiB
            kernels: 300
            input_size: 300KB
            output_size: 250KB
            source: "Kirillov et al. 2023 (Segment Anything): ViT-B/16 image encoder at 1024x1024 plus prompt encoder and mask decoder, 93.7M params; about 940 GFLOPs computed (2 FLOPs per MAC) for 12 blocks (4 global, 8 windowed 14x14) on 64x64 tokens, patch embedding and neck"
          - name: mobile-sam
            kind: vision
            precision: fp16
            parameters: 9.66M
            gflops: 78
            activation_memory: 300MiB
            kernels: 1000
            input_size: 300KB
            output_size: 250KB
            source: "ChaoningZhang/MobileSAM README: 9.66M params whole pipeline (TinyViT 5M encoder + 3.876M decoder); about 39 GMACs (78 GFLOPs) at 1024x1024 as reported in the EfficientViT-SAM comparison; kernels calibrated (encoder and decoder engines, see docs/latency-model.md)"
          - name: llama-3-8b
            kind: llm
            precision: fp16
            parameters: 8.03B
            bytes_per_weight: 2
            layers: 32
            hidden_size: 4096
            kv_bytes_per_token: 128KiB
            embedding_parameters: 525M
            source: "Meta Llama 3 / 3.1 8B config.json: 32 layers, hidden 4096, 8 KV heads of 128 (KV = 2x32x8x128x2 B), vocab 128256 (untied embedding 525M); 8.03B params"
          - name: llama-3-8b-q4
            kind: llm
            precision: int4
            parameters: 8.03B
            bytes_per_weight: 0.5625
            layers: 32
            hidden_size: 4096
            kv_bytes_per_token: 128KiB
            embedding_parameters: 525M
            source: "as llama-3-8b, weights in 4-bit groups of 32 with an fp16 scale (4.5 bits, MLC q4f16_1 / AWQ style)"
          - name: llama-3.3-70b-q4
            kind: llm
            precision: int4
            parameters: 70.6B
            bytes_per_weight: 0.5625
            layers: 80
            hidden_size: 8192
            kv_bytes_per_token: 320KiB
            embedding_parameters: 1.05B
            source: "Meta Llama 3.3 70B config.json: 80 layers, hidden 8192, 8 KV heads of 128 (KV = 2x80x8x128x2 B), vocab 128256; 70.6B params; 4.5-bit weights as llama-3-8b-q4"
          - name: llama-3.2-3b-q4
            kind: llm
            precision: int4
            parameters: 3.21B
            bytes_per_weight: 0.5625
            layers: 28
            hidden_size: 3072
            kv_bytes_per_token: 112KiB
            embedding_parameters: 0
            source: "Meta Llama 3.2 3B config.json: 28 layers, hidden 3072, 8 KV heads of 128, tied embeddings (the output head reads the whole table); 3.21B params; 4.5-bit weights"
          - name: qwen2.5-1.5b
            kind: llm
            precision: fp16
            parameters: 1.54B
            bytes_per_weight: 2
            layers: 28
            hidden_size: 1536
            kv_bytes_per_token: 28KiB
            embedding_parameters: 0
            source: "Qwen2.5-1.5B config.json: 28 layers, hidden 1536, 2 KV heads of 128 (KV = 2x28x2x128x2 B), tied embeddings; 1.54B params"
          - name: llama-2-7b
            kind: llm
            precision: fp16
            parameters: 6.74B
            bytes_per_weight: 2
            layers: 32
            hidden_size: 4096
            kv_bytes_per_token: 512KiB
            embedding_parameters: 131M
            source: "Meta Llama 2 7B config.json: 32 layers, hidden 4096, 32 KV heads of 128 (KV = 2x32x32x128x2 B), vocab 32000 (untied embedding 131M); 6.74B params"
          - name: llama-2-7b-q4
            kind: llm
            precision: int4
            parameters: 6.74B
            bytes_per_weight: 0.5625
            layers: 32
            hidden_size: 4096
            kv_bytes_per_token: 512KiB
            embedding_parameters: 131M
            source: "as llama-2-7b, 4.5-bit weights"
        """#

    /// The built-in catalog, read through the same reader as user catalogs.
    public static func load() -> Catalog {
        do {
            return try DocumentReader.catalog([SourceText(name: name, text: yaml)], builtin: Catalog())
        } catch {
            // The text is a constant checked by tests; failing here is a build defect, not user error.
            preconditionFailure("built-in catalog does not read: \(error)")
        }
    }
}
