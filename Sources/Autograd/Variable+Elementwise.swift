// Pointwise and broadcasting binary operations with their VJP rules.
import TensorCore

extension Variable {
    /// Wraps a constant tensor (no gradient).
    public static func constant(_ t: Tensor) -> Variable { Variable(t) }

    func binaryOp(_ op: Op, _ kind: BinaryOp, _ other: Variable) -> Variable {
        let a = self.value, b = other.value
        let y = a.binary(kind, b)
        let sa = a.shape, sb = b.shape
        return record(op, y, [self, other]) { g in
            switch kind {
            case .add:
                return [CPU.reduceToShape(g, sa), CPU.reduceToShape(g, sb)]
            case .sub:
                return [CPU.reduceToShape(g, sa), CPU.reduceToShape(-g, sb)]
            case .mul:
                return [CPU.reduceToShape(g * b, sa), CPU.reduceToShape(g * a, sb)]
            case .div:
                let ga = g / b
                return [CPU.reduceToShape(ga, sa), CPU.reduceToShape(-(ga * y), sb)]
            case .maximum, .minimum:
                // Gradient goes to the selected operand (to `a` on ties).
                let pickA = kind == .maximum ? a.broadcasted(to: y.shape).greaterEqual(b) : a.broadcasted(to: y.shape).lessEqual(b)
                let ga = g * pickA
                return [CPU.reduceToShape(ga, sa), CPU.reduceToShape(g - ga, sb)]
            default:
                preconditionFailure("\(kind) is not differentiable")
            }
        }
    }

    public static func + (a: Variable, b: Variable) -> Variable { a.binaryOp(.add, .add, b) }
    public static func - (a: Variable, b: Variable) -> Variable { a.binaryOp(.sub, .sub, b) }
    public static func * (a: Variable, b: Variable) -> Variable { a.binaryOp(.mul, .mul, b) }
    public static func / (a: Variable, b: Variable) -> Variable { a.binaryOp(.div, .div, b) }
    public func maximum(_ o: Variable) -> Variable { binaryOp(.maximum, .maximum, o) }
    public func minimum(_ o: Variable) -> Variable { binaryOp(.minimum, .minimum, o) }

    public static func + (a: Variable, b: Tensor) -> Variable { a + Variable(b) }
    public static func - (a: Variable, b: Tensor) -> Variable { a - Variable(b) }
    public static func * (a: Variable, b: Tensor) -> Variable { a * Variable(b) }
    public static func / (a: Variable, b: Tensor) -> Variable { a / Variable(b) }
    public static func + (a: Tensor, b: Variable) -> Variable { Variable(a) + b }
    public static func - (a: Tensor, b: Variable) -> Variable { Variable(a) - b }
    public static func * (a: Tensor, b: Variable) -> Variable { Variable(a) * b }

    public static func + (a: Variable, b: Float) -> Variable { a.affine(scale: 1, shift: b) }
    public static func - (a: Variable, b: Float) -> Variable { a.affine(scale: 1, shift: -b) }
    public static func * (a: Variable, b: Float) -> Variable { a.affine(scale: b) }
    public static func / (a: Variable, b: Float) -> Variable { a.affine(scale: 1 / b) }
    public static func * (a: Float, b: Variable) -> Variable { b.affine(scale: a) }
    public static func + (a: Float, b: Variable) -> Variable { b.affine(scale: 1, shift: a) }
    public static func - (a: Float, b: Variable) -> Variable { b.affine(scale: -1, shift: a) }
    public static prefix func - (a: Variable) -> Variable { a.unary(.neg, .neg) }

    func unary(_ op: Op, _ kind: UnaryOp) -> Variable {
        let x = value
        let y = x.applying(kind)
        return record(op, y, [self]) { g in
            let gx = Tensor(uninitializedShape: x.shape)
            CPU.unaryBackward(kind, x: x.unsafePointer, y: y.unsafePointer, gy: g.unsafePointer,
                              gx: gx.unsafeMutablePointer, x.count)
            return [gx]
        }
    }

    public func exp() -> Variable { unary(.exp, .exp) }
    public func log() -> Variable { unary(.log, .log) }
    public func sqrt() -> Variable { unary(.sqrt, .sqrt) }
    public func rsqrt() -> Variable { unary(.rsqrt, .rsqrt) }
    public func tanh() -> Variable { unary(.tanh, .tanh) }
    public func sigmoid() -> Variable { unary(.sigmoid, .sigmoid) }
    public func relu() -> Variable { unary(.relu, .relu) }
    /// GELU, tanh approximation (GPT-2 `gelu_new`, Hendrycks & Gimpel arXiv:1606.08415).
    public func gelu() -> Variable { unary(.gelu, .gelu) }
    /// GELU, exact erf form.
    public func geluErf() -> Variable { unary(.geluErf, .geluErf) }
    /// SiLU / swish: x·σ(x) (Llama's MLP activation).
    public func silu() -> Variable { unary(.silu, .silu) }
    /// log(1 + eˣ), computed stably; −softplus(−x) = log σ(x) is DPO's loss core.
    public func softplus() -> Variable { unary(.softplus, .softplus) }
    public func abs() -> Variable { unary(.abs, .abs) }
    public func squared() -> Variable { unary(.square, .square) }
    public func reciprocal() -> Variable { unary(.reciprocal, .reciprocal) }

    /// xᵖ for a constant exponent.
    public func pow(_ p: Float) -> Variable {
        let x = value
        let y = x.pow(p)
        return record(.pow, y, [self]) { g in [g * x.pow(p - 1) * p] }
    }

    /// a·x + b for scalars a, b.
    public func affine(scale a: Float, shift b: Float = 0) -> Variable {
        let y = value.affine(scale: a, shift: b)
        return record(.affine, y, [self]) { g in [g.affine(scale: a)] }
    }

    /// Clamps into [lo, hi]; the gradient is passed where the input was inside the interval.
    public func clamped(min lo: Float = -.infinity, max hi: Float = .infinity) -> Variable {
        let x = value
        let y = x.clamped(min: lo, max: hi)
        return record(.clamp, y, [self]) { g in
            let inside = x.greaterEqual(Tensor(lo)) * x.lessEqual(Tensor(hi))
            return [g * inside]
        }
    }

    /// `condition != 0 ? a : b` elementwise (condition is a constant mask; all three broadcast).
    public static func select(_ condition: Tensor, _ a: Variable, _ b: Variable) -> Variable {
        let y = Tensor.where(condition, a.value, b.value)
        let sa = a.shape, sb = b.shape
        return record(.select, y, [a, b]) { g in
            let c = condition.broadcasted(to: g.shape).notEqual(Tensor(0))
            let ga = g * c
            return [CPU.reduceToShape(ga, sa), CPU.reduceToShape(g - ga, sb)]
        }
    }

    /// Identity in the forward pass, zero gradient: the value is treated as a constant downstream.
    public func stopGradient() -> Variable { detached() }
}
