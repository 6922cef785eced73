/// A catalog as text tables: devices, models and measured profiles.
public enum CatalogTable {
    public static func render(_ catalog: Catalog) -> String {
        var out = "DEVICES\n"
        out += TextTable.render(
            header: ["name", "class", "memory GiB", "fp16 TFLOPS", "int8 TOPS", "mem GB/s"],
            rows: catalog.devices.map {
                [$0.name, $0.deviceClass.rawValue, fmt($0.memoryGib), fmt($0.fp16Tflops), fmt($0.int8Tops), fmt($0.memoryBandwidthGbytesPerS)]
            })
        out += "\nMODELS\n"
        out += TextTable.render(
            header: ["name", "kind", "precision", "params", "weights GiB", "GFLOPs/item", "layers"],
            rows: catalog.models.map {
                [
                    $0.name, $0.kind.rawValue, $0.precision.rawValue, count($0.parameters), fmt($0.weightsGib),
                    $0.kind == .vision ? fmt($0.gflopsPerItem) : "-", $0.kind == .llm ? String($0.layers) : "-",
                ]
            })
        if !catalog.profiles.isEmpty {
            out += "\nPROFILES\n"
            out += TextTable.render(
                header: ["model", "device", "batch:latency ms"],
                rows: catalog.profiles.map {
                    [$0.model, $0.device, $0.points.map { "\($0.batch):\(fmt($0.latencyMs))" }.joined(separator: " ")]
                })
        }
        return out
    }

    static func fmt(_ x: Double) -> String { TextTable.number(x) }

    static func count(_ x: Double) -> String {
        x >= 1e9 ? "\((x / 1e9).rounded(places: 2))B" : "\((x / 1e6).rounded(places: 1))M"
    }
}
