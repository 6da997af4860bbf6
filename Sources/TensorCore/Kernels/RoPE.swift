// Rotary position embeddings (Su et al. 2021, arXiv:2104.09864).
// Legend: B = batch, T = positions, H = heads, D = head dimension, R = rotated dimensions (≤ D).
// Layout [B, T, H, D]. Two pairing conventions exist in checkpoints:
//  - rotateHalf: pairs (i, i + R/2) — Hugging Face Llama/Qwen2 (`rotate_half`);
//  - interleaved: pairs (2i, 2i + 1) — GPT-J, the original Meta Llama and GGUF before permutation.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum RoPEConvention: String, Sendable, CaseIterable { case rotateHalf, interleaved }

extension CPU {
    /// cos/sin tables [T, R/2] for the given absolute positions: angle = pos · θ^(−2i/R) · scaleᵢ.
    /// `frequencyScale` (R/2 factors, nil = all 1) multiplies each inverse frequency: RoPE scaling as
    /// transformers' `rope_type` "linear" (all 1/factor) and "llama3" (per-frequency) compute it.
    /// `amplitude` multiplies both tables (YaRN's and LongRoPE's attention factor, which transformers
    /// applies to cos and sin, so q·k grows by its square).
    public static func ropeTables(positions: [Int], rotaryDimensions R: Int, theta: Float,
                                  frequencyScale: [Float]? = nil, amplitude: Float = 1) -> (cos: [Float], sin: [Float]) {
        let half = R / 2
        precondition(frequencyScale.map { $0.count == half } ?? true, "rope: frequencyScale needs \(half) factors")
        var invFreq = (0 ..< half).map { 1.0 / Foundation_pow(Double(theta), Double(2 * $0) / Double(R)) }
        if let frequencyScale { for i in 0 ..< half { invFreq[i] *= Double(frequencyScale[i]) } }
        var c = [Float](repeating: 0, count: positions.count * half)
        var s = c
        for (t, pos) in positions.enumerated() {
            for i in 0 ..< half {
                let angle = Double(pos) * invFreq[i]
                c[t * half + i] = Float(Foundation_cosd(angle)) * amplitude
                s[t * half + i] = Float(Foundation_sind(angle)) * amplitude
            }
        }
        return (c, s)
    }

    /// Rotates x [B, T, H, D] (first R dims of each head) by the position angles; `inverse` applies
    /// the transpose rotation, which is the backward pass. `positions` holds T positions shared by
    /// every row, or B·T positions (row-major [B, T]) when rows differ, as with left padding.
    /// `frequencyScale`: per-frequency factors on θ^(−2i/R) (RoPE scaling), see `ropeTables`;
    /// `amplitude` scales the rotation (a·R, whose transpose a·Rᵀ is again the backward).
    public static func rope(_ x: Tensor, positions: [Int], rotaryDimensions: Int? = nil, theta: Float,
                            convention: RoPEConvention, inverse: Bool = false, frequencyScale: [Float]? = nil,
                            amplitude: Float = 1) -> Tensor {
        precondition(x.rank == 4, "rope: expected [B, T, H, D], got \(x.shape)")
        let B = x.shape[0], T = x.shape[1], H = x.shape[2], D = x.shape[3]
        let R = rotaryDimensions ?? D
        precondition(R % 2 == 0 && R <= D && (positions.count == T || positions.count == B * T),
                     "rope: D \(D), R \(R), \(positions.count) positions for B \(B), T \(T)")
        let perRow = positions.count == B * T && B > 1
        let (ct, st) = ropeTables(positions: positions, rotaryDimensions: R, theta: theta, frequencyScale: frequencyScale,
                                  amplitude: amplitude)
        var y = x
        y.makeUnique()
        let half = R / 2
        let sign: Float = inverse ? -1 : 1
        let box = UnsafeSendableBox(y.unsafeMutablePointer)
        ct.withUnsafeBufferPointer { cp in
            st.withUnsafeBufferPointer { sp in
                let tabs = UnsafeSendableBox((cp.baseAddress!, sp.baseAddress!))
                Parallel.forRanges(B * T, grain: 16) { r in
                    let yp = box.value
                    let (cp, sp) = tabs.value
                    for bt in r {
                        let t = perRow ? bt : bt % T
                        let c = cp + t * half, s = sp + t * half
                        for h in 0 ..< H {
                            let v = yp + (bt * H + h) * D
                            switch convention {
                            case .rotateHalf:
                                for i in 0 ..< half {
                                    let a = v[i], b = v[i + half], sn = sign * s[i]
                                    v[i] = a * c[i] - b * sn
                                    v[i + half] = a * sn + b * c[i]
                                }
                            case .interleaved:
                                for i in 0 ..< half {
                                    let a = v[2 * i], b = v[2 * i + 1], sn = sign * s[i]
                                    v[2 * i] = a * c[i] - b * sn
                                    v[2 * i + 1] = a * sn + b * c[i]
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }
}

@inline(__always) func Foundation_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
@inline(__always) func Foundation_cosd(_ a: Double) -> Double { cos(a) }
@inline(__always) func Foundation_sind(_ a: Double) -> Double { sin(a) }
