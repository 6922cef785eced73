import EparaClassify
import EparaCore

/// A workload at k× its demand: every request rate and every camera count multiplied, as an
/// operator would ask "what if traffic grew k-fold". Camera counts are whole (at least one), so
/// each camera's frame rate takes up the rounding: the frames per second are exactly k×.
public enum LoadScale {
    public static func scaled(_ workload: ClassifiedWorkload, by scale: Double) -> ClassifiedWorkload {
        var result = workload
        for i in result.services.indices {
            if var demand = result.services[i].spec.demand {
                demand.ratePerS *= scale
                result.services[i].spec.demand = demand
            }
            if var stream = result.services[i].spec.stream {
                let cameras = Double(stream.streams) * scale
                stream.streams = max(1, Int(cameras.rounded()))
                stream.fps *= cameras / Double(stream.streams)
                result.services[i].spec.stream = stream
            }
        }
        return result
    }
}
