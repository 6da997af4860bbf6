// Basic layers. Weight layouts follow PyTorch / Hugging Face checkpoints: `Linear.weight` is
// [out, in], `Embedding.weight` is [V, C], norms hold `weight` (and `bias`) of [C].
import Autograd
import TensorCore

/// Loaders that assign every parameter strictly right after building a model set
/// `skipsRandomValues`, so `Linear` and `Embedding` leave their matrices unwritten: the pages of a
/// random initialisation that is about to be replaced are never touched, which keeps a load's peak
/// memory at the weights it keeps (a float32 SmolLM2 would otherwise hold two copies at once).
public enum ParameterInitialization {
    @TaskLocal public static var skipsRandomValues = false
}

/// y = x·Wᵀ + b, optionally with a LoRA adapter (Hu et al. 2021, arXiv:2106.09685):
/// y += (α/r)·dropout(x)·Aᵀ·Bᵀ with A [r, in] (random) and B [out, r] (zero), so training starts
/// from the base model exactly.
public final class Linear: Module {
    public var weight: Variable
    public var bias: Variable?
    public var loraA: Variable?
    public var loraB: Variable?
    public private(set) var lora: LoRAConfiguration?
    /// False: the adapter is skipped, so the layer computes the frozen base weight alone. Online RL
    /// reads the reference this way (PEFT's `disable_adapter`), without a second copy of the weights.
    public var adaptersEnabled = true
    /// True while the adapter product is folded into `weight`.
    public private(set) var isMerged = false
    /// The generator behind the adapter's dropout masks. Public so checkpoints can save and restore it:
    /// with dropout on, an exactly resumed run needs the same masks after the resume.
    public var dropoutGenerator = RandomGenerator(seed: 0)
    /// Inference-only weights in a block format or bf16 (docs/design/quantized.md). When set, the
    /// product runs on them and `weight` is an empty [0, in] placeholder (the float copy is dropped).
    public internal(set) var quantizedWeight: QuantizedMatrix?
    /// The checkpoint key of `quantizedWeight`, for the error of a backward pass through it.
    public internal(set) var quantizedWeightName = ""

    public var inputDimensions: Int { quantizedWeight?.columns ?? weight.shape[1] }
    public var outputDimensions: Int { quantizedWeight?.rows ?? weight.shape[0] }

    /// PyTorch's default initialisation: U(−1/√in, 1/√in) for weight and bias (left unwritten under
    /// `ParameterInitialization.skipsRandomValues`).
    public init(_ inputDimensions: Int, _ outputDimensions: Int, bias: Bool = true, rng: inout RandomGenerator) {
        if ParameterInitialization.skipsRandomValues {
            weight = Variable(Tensor(uninitializedShape: [outputDimensions, inputDimensions]), requiresGrad: true)
            self.bias = bias ? Variable(Tensor(uninitializedShape: [outputDimensions]), requiresGrad: true) : nil
            super.init()
            return
        }
        let bound = 1 / Float(inputDimensions).squareRoot()
        weight = Variable(Tensor.randomUniform([outputDimensions, inputDimensions], low: -bound, high: bound, using: &rng),
                          requiresGrad: true)
        self.bias = bias ? Variable(Tensor.randomUniform([outputDimensions], low: -bound, high: bound, using: &rng),
                                    requiresGrad: true) : nil
        super.init()
    }

    /// From explicit values (e.g. a checkpoint). weight [out, in], bias [out].
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(weight.shape)")
        self.weight = Variable(weight, requiresGrad: true)
        self.bias = bias.map { Variable($0, requiresGrad: true) }
        super.init()
    }

    /// PEFT's names: `lora_A.weight`, `lora_B.weight`.
    public override var renamedKeys: [String: String] { ["loraA": "lora_A.weight", "loraB": "lora_B.weight"] }

    /// Serves inference from `quantized` (same [out, in] shape) and drops the float weight. The
    /// weight is frozen from then on: a backward pass through the layer is refused with an error
    /// naming `name` (its checkpoint key).
    public func setQuantizedWeight(_ quantized: QuantizedMatrix, name: String = "") {
        precondition(lora == nil, "Linear: a layer with a LoRA adapter keeps float weights")
        installQuantizedWeight(quantized, name: name, what: "Linear: quantized weight", of: "a layer")
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        if let quantizedWeight {
            let y = x.matmul(quantized: quantizedWeight, name: quantizedWeightName)
            return bias.map { y + $0 } ?? y
        }
        var y = x.matmul(weight, transposeOther: true)
        if let bias { y = y + bias }
        if let lora, let a = loraA, let b = loraB, !isMerged, adaptersEnabled {
            var h = x
            if isTraining && lora.dropout > 0 {
                let keep = 1 - lora.dropout
                var mask = Tensor.randomUniform(x.shape, using: &dropoutGenerator).less(Tensor(keep))
                mask = mask.affine(scale: 1 / keep)
                h = h * mask
            }
            y = y + h.matmul(a, transposeOther: true).matmul(b, transposeOther: true) * lora.scale
        }
        return y
    }

    /// Adds a LoRA adapter and freezes the base weight and bias.
    public func addLoRA(_ config: LoRAConfiguration, rng: inout RandomGenerator) {
        precondition(lora == nil, "Linear already has a LoRA adapter")
        precondition(quantizedWeight == nil, "Linear: LoRA on quantized weights is not supported (load the model with --weights f32)")
        // A ~ Kaiming-uniform (as PEFT), B = 0.
        let bound = 1 / Float(inputDimensions).squareRoot()
        loraA = Variable(Tensor.randomUniform([config.rank, inputDimensions], low: -bound, high: bound, using: &rng), requiresGrad: true)
        loraB = Variable(Tensor(shape: [outputDimensions, config.rank], repeating: 0), requiresGrad: true)
        lora = config
        dropoutGenerator = RandomGenerator(seed: rng.next())
        weight.requiresGrad = false
        bias?.requiresGrad = false
    }

    /// Folds the adapter into the weight: W ← W + (α/r)·B·A.
    public func mergeLoRA() {
        guard let lora, let a = loraA, let b = loraB, !isMerged else { return }
        weight.value = weight.value + b.value.matmul(a.value) * lora.scale
        isMerged = true
    }

    /// Undoes `mergeLoRA`.
    public func unmergeLoRA() {
        guard let lora, let a = loraA, let b = loraB, isMerged else { return }
        weight.value = weight.value - b.value.matmul(a.value) * lora.scale
        isMerged = false
    }

    /// Merges and drops the adapter, leaving a plain linear layer (for export).
    public func fuseLoRA() {
        mergeLoRA()
        loraA = nil
        loraB = nil
        lora = nil
        isMerged = false
    }
}

/// LoRA hyper-parameters (PEFT names: r, lora_alpha, lora_dropout).
public struct LoRAConfiguration: Sendable, Equatable, Codable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float

    public init(rank: Int = 8, alpha: Float = 16, dropout: Float = 0) {
        precondition(rank > 0, "LoRA rank must be > 0, got \(rank)")
        precondition(dropout >= 0 && dropout < 1, "LoRA dropout must be in [0, 1), got \(dropout)")
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
    }

    /// α / r, the factor on the adapter's output.
    public var scale: Float { alpha / Float(rank) }
}

/// Token embedding table [V, C].
public final class Embedding: Module {
    public var weight: Variable
    /// Inference-only table in a block format or bf16; `weight` is then an empty [0, C] placeholder.
    public internal(set) var quantizedWeight: QuantizedMatrix?
    /// The checkpoint key of `quantizedWeight`, for the error of a backward pass through the tied head.
    public internal(set) var quantizedWeightName = ""

    /// Serves lookups (and a tied output head) from `quantized` and drops the float table.
    public func setQuantizedWeight(_ quantized: QuantizedMatrix, name: String = "") {
        installQuantizedWeight(quantized, name: name, what: "Embedding: quantized table", of: "a table")
    }

    /// h [..., C] · tableᵀ → [..., V]: the output head of models that tie it to the embedding.
    public func tiedLogits(_ h: Variable) -> Variable {
        if let quantizedWeight { return h.matmul(quantized: quantizedWeight, name: quantizedWeightName) }
        return h.matmul(weight, transposeOther: true)
    }

    public init(_ vocabularySize: Int, _ dimensions: Int, std: Float = 1, rng: inout RandomGenerator) {
        if ParameterInitialization.skipsRandomValues {
            weight = Variable(Tensor(uninitializedShape: [vocabularySize, dimensions]), requiresGrad: true)
            super.init()
            return
        }
        weight = Variable(Tensor.randomNormal([vocabularySize, dimensions], std: std, using: &rng), requiresGrad: true)
        super.init()
    }

    public init(weight: Tensor) {
        self.weight = Variable(weight, requiresGrad: true)
        super.init()
    }

    public func callAsFunction(_ ids: IndexTensor) -> Variable {
        if let quantizedWeight { return Variable.embedding(quantized: quantizedWeight, ids: ids) }
        return Variable.embedding(weight, ids: ids)
    }
}

/// Layer normalisation over the last axis (arXiv:1607.06450), fused kernel.
public final class LayerNorm: Module {
    public var weight: Variable
    public var bias: Variable?
    public let eps: Float

    public init(_ dimensions: Int, eps: Float = 1e-5, bias: Bool = true) {
        weight = Variable(Tensor(shape: [dimensions], repeating: 1), requiresGrad: true)
        self.bias = bias ? Variable(Tensor(shape: [dimensions], repeating: 0), requiresGrad: true) : nil
        self.eps = eps
        super.init()
    }

    public func callAsFunction(_ x: Variable) -> Variable { Functional.layerNorm(x, weight: weight, bias: bias, eps: eps) }
}

/// RMS normalisation over the last axis (arXiv:1910.07467), fused kernel.
public final class RMSNorm: Module {
    public var weight: Variable
    public let eps: Float

    public init(_ dimensions: Int, eps: Float = 1e-6) {
        weight = Variable(Tensor(shape: [dimensions], repeating: 1), requiresGrad: true)
        self.eps = eps
        super.init()
    }

    public func callAsFunction(_ x: Variable) -> Variable { Functional.rmsNorm(x, weight: weight, eps: eps) }
}

/// A layer whose float weight can be replaced by an inference-only quantized matrix (`Linear`,
/// `Embedding`; docs/design/quantized.md).
protocol QuantizedWeightHolder: AnyObject {
    var weight: Variable { get set }
    var quantizedWeight: QuantizedMatrix? { get set }
    var quantizedWeightName: String { get set }
}

extension Linear: QuantizedWeightHolder {}
extension Embedding: QuantizedWeightHolder {}

extension QuantizedWeightHolder {
    /// Keeps `quantized` (of the float weight's shape, when there still is one) under its checkpoint
    /// key `name` and leaves `weight` an empty, frozen [0, columns] placeholder. `what … of …` words
    /// the shape mismatch: "Linear: quantized weight [2, 3] for a layer of [3, 3]".
    func installQuantizedWeight(_ quantized: QuantizedMatrix, name: String, what: String, of holder: String) {
        precondition(weight.value.count == 0 || quantized.shape == weight.shape,
                     "\(what) \(quantized.shape) for \(holder) of \(weight.shape)")
        quantizedWeight = quantized
        quantizedWeightName = name
        weight = Variable(Tensor(shape: [0, quantized.columns]), requiresGrad: false)
    }
}
