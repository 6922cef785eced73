import EparaClassify
import EparaCore

/// A workload at k× its demand: every request rate and every camera count (rounded, at least
/// one camera) multiplied, as an operator would ask "what if traffic grew k-fold".
public enum LoadScale {
    public static func scaled(_ workload: ClassifiedWorkload, by scale: Double) -> ClassifiedWorkload {
        var result = workload
        for i in result.services.indices {
            if var demand = result.services[i].spec.demand {
                demand.ratePerS *= scale
                result.services[i].spec.demand = demand
            }
            if var stream = result.services[i].spec.stream {
                stream.streams = max(1, Int((Double(stream.streams) * scale).rounded()))
                result.services[i].spec.stream = stream
            }
        }
        return result
    }
}
