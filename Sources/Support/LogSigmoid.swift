// log σ(z) of one number, stable for either sign, for the places that need it outside tensors:
// the LSC reward transformation (OnlineRL, arXiv 2402.00742) and the per-pair Bradley–Terry losses
// that co-teaching ranks (Training).
import Foundation

public enum ScalarMath {
    /// log σ(z): −log(1 + e^−z) for z ≥ 0, z − log(1 + e^z) below (neither overflows).
    public static func logSigmoid(_ z: Double) -> Double {
        z >= 0 ? -log1p(exp(-z)) : z - log1p(exp(z))
    }
}
