// RoPE scaling for the Llama-path families: the per-frequency factors on RoPE's inverse frequencies
// θ^(−2i/D) and the amplitude on cos/sin that transformers' `ROPE_INIT_FUNCTIONS`
// (modeling_rope_utils.py) and its `dynamic_rope_update` compute. Two of the types depend on the
// length of the sequence being processed, L = max(position) + 1 over the batch of the current call:
// with a KV cache, earlier keys keep the rotation they were cached with and only the new token sees
// the frequencies of the new length, exactly as transformers' cached generation does.
import Foundation

extension LlamaConfiguration {
    /// The scaling parameters of a `rope_scaling` / `rope_parameters` object besides its type and
    /// base, under their JSON names; each type reads the ones it needs.
    public struct RopeParameters: Codable, Sendable, Equatable {
        public var factor: Float?
        /// llama3: the wavelength bounds (in units of the original context).
        public var lowFreqFactor: Float?
        public var highFreqFactor: Float?
        /// llama3, yarn, longrope: the pretraining context.
        public var originalMaxPositionEmbeddings: Int?
        /// yarn / longrope: the amplitude on cos and sin; nil means the paper's default from `factor`.
        public var attentionFactor: Float?
        /// yarn: rotation counts bounding the ramp between extrapolated and interpolated frequencies
        /// (nil: 32 and 1), DeepSeek's `mscale` / `mscale_all_dim` for the default attention factor, and
        /// whether the ramp's bounds are rounded outwards (`truncate`, nil: true).
        public var betaFast: Float?
        public var betaSlow: Float?
        public var mscale: Float?
        public var mscaleAllDim: Float?
        public var truncate: Bool?
        /// longrope: per-frequency divisors for sequences within / beyond the original context.
        public var shortFactor: [Float]?
        public var longFactor: [Float]?

        public init() {}

        enum CodingKeys: String, CodingKey {
            case factor, lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
            case originalMaxPositionEmbeddings = "original_max_position_embeddings", attentionFactor = "attention_factor"
            case betaFast = "beta_fast", betaSlow = "beta_slow", mscale, mscaleAllDim = "mscale_all_dim", truncate
            case shortFactor = "short_factor", longFactor = "long_factor"
        }
    }

    /// RoPE scaling as transformers' `ROPE_INIT_FUNCTIONS` computes it (modeling_rope_utils.py).
    public struct RopeScaling: Codable, Sendable, Equatable {
        /// "linear" (Chen et al. 2023, arXiv:2306.15595: positions / factor), "llama3" (Llama 3.1,
        /// arXiv:2407.21783: long wavelengths / factor, short ones unchanged, smooth in between),
        /// "dynamic" (NTK-aware base growth with the sequence length), "yarn" (Peng et al. 2023,
        /// arXiv:2309.00071) or "longrope" (Ding et al. 2024, arXiv:2402.13753; Phi-3's short/long factors).
        public var type: String
        /// The parameters as transformers completes them: `factor` (0 when missing, which validation
        /// refuses; longrope: `max_position_embeddings / original_max_position_embeddings` when the
        /// file gives none) and `original_max_position_embeddings` always set for llama3, yarn, longrope.
        public var parameters: RopeParameters
        public var factor: Float { parameters.factor ?? 0 }

        public init(type: String, factor: Float, lowFreqFactor: Float? = nil, highFreqFactor: Float? = nil,
                    originalMaxPositionEmbeddings: Int? = nil) {
            self.type = type
            parameters = RopeParameters()
            parameters.factor = factor
            parameters.lowFreqFactor = lowFreqFactor
            parameters.highFreqFactor = highFreqFactor
            parameters.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
        }
    }

    /// What one call's RoPE uses: factors on the inverse frequencies (nil: plain) and the amplitude on
    /// cos and sin.
    public struct RopeFrequencies: Sendable, Equatable {
        public var scale: [Float]?
        public var amplitude: Float
    }

    /// The RoPE scaling types implemented for these families; Phi-3's configuration accepts only
    /// "longrope" (it renames "su" and "yarn" to it), as Phi3Config.validate_rope does.
    static func ropeTypes(modelType: String) -> Set<String> {
        modelType == "phi3" ? ["default", "longrope"] : ["default", "linear", "llama3", "dynamic", "yarn", "longrope"]
    }

    /// The RoPE of a call whose largest position is `sequenceLength − 1`.
    ///
    /// - linear: every frequency / factor.
    /// - llama3: by wavelength λ = 2π/inv_freq against the original context L₀: λ < L₀/high kept,
    ///   λ > L₀/low divided by factor, in between s = (L₀/λ − low)/(high − low) gives (1 − s)/factor + s.
    /// - dynamic: for L > max_position_embeddings M the base grows to θ·(f·L/M − (f − 1))^(D/(D−2)),
    ///   so frequency i is multiplied by (θ/θ′)^(2i/D); for L ≤ M plain RoPE.
    /// - yarn: dimension of r rotations over L₀, d(r) = D·ln(L₀/(2πr)) / (2 ln θ); the ramp runs from
    ///   d(beta_fast) (floored when truncating, ≥ 0) to d(beta_slow) (ceiled, ≤ D − 1); with
    ///   γᵢ = clamp((i − lo)/(hi − lo), 0, 1) frequency i becomes (γᵢ/f + 1 − γᵢ)·θ^(−2i/D); amplitude
    ///   `attention_factor`, else 0.1·ln f + 1 (or the ratio of 0.1·m·ln f + 1 for `mscale` over
    ///   `mscale_all_dim` when both are set; 1 for f ≤ 1).
    /// - longrope: frequency i / long_factorᵢ when L > L₀, else / short_factorᵢ; amplitude
    ///   `attention_factor`, else √(1 + ln f / ln L₀) (1 for f ≤ 1), whichever set is active.
    public func ropeFrequencies(sequenceLength L: Int) -> RopeFrequencies {
        guard let scaling = ropeScaling else { return RopeFrequencies(scale: nil, amplitude: 1) }
        let s = scaling.parameters
        let D = headDimension, half = D / 2, theta = Double(ropeTheta), f = Double(scaling.factor)
        let original = Double(s.originalMaxPositionEmbeddings ?? maxPositionEmbeddings)
        func exponent(_ i: Int) -> Double { Double(2 * i) / Double(D) }
        switch scaling.type {
        case "linear":
            return RopeFrequencies(scale: [Float](repeating: Float(1 / f), count: half), amplitude: 1)
        case "llama3":
            let low = Double(s.lowFreqFactor ?? 1), high = Double(s.highFreqFactor ?? 4)
            let scale = (0 ..< half).map { i -> Float in
                let wavelength = 2 * Double.pi * pow(theta, exponent(i))
                if wavelength < original / high { return 1 }
                if wavelength > original / low { return Float(1 / f) }
                let smooth = (original / wavelength - low) / (high - low)
                return Float((1 - smooth) / f + smooth)
            }
            return RopeFrequencies(scale: scale, amplitude: 1)
        case "dynamic":
            let M = Double(maxPositionEmbeddings)
            guard Double(L) > M else { return RopeFrequencies(scale: nil, amplitude: 1) }
            let grown = theta * pow(f * Double(L) / M - (f - 1), Double(D) / Double(D - 2))
            return RopeFrequencies(scale: (0 ..< half).map { Float(pow(theta / grown, exponent($0))) }, amplitude: 1)
        case "yarn":
            func mscale(_ m: Double) -> Double { f <= 1 ? 1 : 0.1 * m * log(f) + 1 }
            let amplitude: Double
            if let a = s.attentionFactor { amplitude = Double(a) } else if let m = s.mscale, let all = s.mscaleAllDim, m != 0, all != 0 {
                amplitude = mscale(Double(m)) / mscale(Double(all))
            } else {
                amplitude = mscale(1)
            }
            func dimension(_ rotations: Double) -> Double { Double(D) * log(original / (rotations * 2 * Double.pi)) / (2 * log(theta)) }
            var lo = dimension(Double(s.betaFast ?? 32)), hi = dimension(Double(s.betaSlow ?? 1))
            if s.truncate ?? true { lo = lo.rounded(.down); hi = hi.rounded(.up) }
            lo = max(lo, 0)
            hi = min(hi, Double(D - 1))
            if lo == hi { hi += 0.001 }
            let scale = (0 ..< half).map { i -> Float in
                let ramp = min(max((Double(i) - lo) / (hi - lo), 0), 1)
                return Float(ramp / f + (1 - ramp))
            }
            return RopeFrequencies(scale: scale, amplitude: Float(amplitude))
        case "longrope":
            let amplitude = s.attentionFactor.map(Double.init) ?? (f <= 1 ? 1 : (1 + log(f) / log(original)).squareRoot())
            let factors = (Double(L) > original ? s.longFactor : s.shortFactor) ?? []
            return RopeFrequencies(scale: factors.map { 1 / $0 }, amplitude: Float(amplitude))
        default:
            return RopeFrequencies(scale: nil, amplitude: 1)
        }
    }

    /// Per-frequency factors for a sequence within the original context (the static types' only set;
    /// LongRoPE's short factors; nil for plain RoPE and for dynamic scaling, which is then plain).
    public var ropeFrequencyScale: [Float]? { ropeFrequencies(sequenceLength: 1).scale }

    /// A problem with the scaling parameters transformers would fail on (or that would make no
    /// frequencies), nil when they are usable.
    func ropeScalingProblem() -> String? {
        guard let scaling = ropeScaling else { return nil }
        let p = scaling.parameters
        if !(scaling.factor > 0) { return "rope scaling '\(scaling.type)' needs a positive factor" }
        switch scaling.type {
        case "llama3":
            guard let low = p.lowFreqFactor, let high = p.highFreqFactor, low < high else {
                return "rope scaling 'llama3' needs low_freq_factor < high_freq_factor"
            }
        case "yarn", "longrope":
            guard let original = p.originalMaxPositionEmbeddings, original > 1 else {
                return "rope scaling '\(scaling.type)' needs original_max_position_embeddings > 1"
            }
            if let a = p.attentionFactor, !(a > 0) { return "rope scaling '\(scaling.type)' needs a positive attention_factor" }
            if scaling.type == "longrope" {
                for (name, list) in [("short_factor", p.shortFactor), ("long_factor", p.longFactor)] {
                    guard let list, list.count == headDimension / 2, list.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                        return "rope scaling 'longrope' needs \(name): \(headDimension / 2) positive numbers (head_dim / 2)"
                    }
                }
            }
        case "dynamic":
            if headDimension <= 2 { return "rope scaling 'dynamic' needs a head dimension above 2" }
        default: break
        }
        return nil
    }
}
