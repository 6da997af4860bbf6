// Graph semantics: accumulation across backward passes, recording switched off, stopped gradients,
// fan-out (a variable used more than once) and which variables receive gradients at all.
import Autograd
import TensorCore
import TestSupport
import Testing

@Suite("Graph semantics")
struct GraphSemanticsTests {
    @Test("Gradients accumulate across two backward passes")
    func accumulation() {
        let xv = Inputs.normal([2, 3], 1)
        let x = Variable(xv, requiresGrad: true)
        (x * x).sum().backward()
        let once = x.grad!
        expectClose(once, xv * 2, atol: 1e-6, "d/dx Σx² = 2x")
        (x * x).sum().backward()
        expectClose(x.grad, xv * 4, atol: 1e-6, "after two passes")
        #expect(once.scalars == (xv * 2).scalars, "the first gradient value was not mutated in place")
        // The same graph backpropagated twice with retainGraph.
        x.zeroGrad()
        #expect(x.grad == nil)
        let y = (x.exp() * 3).sum()
        y.backward(retainGraph: true)
        y.backward()
        expectClose(x.grad, xv.exp() * 6, atol: 1e-5, "retained graph, two passes")
        // Without retainGraph the graph is released: the intermediate no longer tracks anything.
        #expect(y.node == nil)
    }

    @Test("withoutGradients records nothing")
    func noGrad() {
        let x = Variable(Inputs.normal([2, 3], 2), requiresGrad: true)
        let y = withoutGradients { (x * x).exp().sum() }
        #expect(y.node == nil && !y.isTracked)
        #expect(withoutGradients { GradientMode.isEnabled } == false)
        #expect(GradientMode.isEnabled)
        let z = withoutGradients { Functional.layerNorm(x, weight: Variable(Tensor.ones([3])), bias: nil) }
        #expect(z.node == nil)
        // Recording resumes afterwards.
        let w = (x * x).sum()
        #expect(w.node?.op == .sumAll)
        w.backward()
        #expect(x.grad != nil)
    }

    @Test("stopGradient and detached block the gradient")
    func stopGradient() {
        let xv = Inputs.normal([4], 3)
        let x = Variable(xv, requiresGrad: true)
        (x.stopGradient() * x).sum().backward()
        expectClose(x.grad, xv, atol: 0, "only the tracked factor contributes: d/dx (c·x) = c")
        let y = Variable(xv, requiresGrad: true)
        let d = y.detached()
        #expect(!d.isTracked && d.node == nil)
        let z = (d * d).sum()
        #expect(z.node == nil, "nothing tracked, nothing recorded")
        let u = Variable(xv, requiresGrad: true)
        ((u * 2).stopGradient() + u.exp()).sum().backward()
        expectClose(u.grad, xv.exp(), atol: 1e-6, "stopped branch contributes nothing")
    }

    @Test("A variable used twice gets the summed gradient")
    func fanOut() {
        let xv = Inputs.normal([2, 3], 4)
        let x = Variable(xv, requiresGrad: true)
        (x + x).sum().backward()
        expectClose(x.grad, Tensor(shape: [2, 3], repeating: 2), atol: 0, "x + x")
        let y = Variable(xv, requiresGrad: true)
        (y * y + y.exp()).sum().backward()
        expectClose(y.grad, xv * 2 + xv.exp(), atol: 1e-5, "y·y + exp(y)")
        // Diamond: h = z², out = tanh(h) + 3h, two paths that share h.
        let z = Variable(xv, requiresGrad: true)
        let h = z * z
        (h.tanh() + h * 3).sum().backward()
        let hv = xv * xv
        expectClose(z.grad, (hv.tanh().squared() * -1 + 1 + 3) * xv * 2, atol: 1e-5, "diamond through a shared node")
    }

    @Test("Only leaves that require gradients get them; constants and untracked inputs get none")
    func whoGetsGradients() {
        let a = Variable(Inputs.normal([3], 5), requiresGrad: true)
        let b = Variable(Inputs.normal([3], 6))                 // constant leaf
        let out = (a * b).sum()
        #expect(out.node?.op == .sumAll)
        out.backward()
        expectClose(a.grad, b.value, atol: 0, "d/da Σ a·b = b")
        #expect(b.grad == nil)
        // An op whose inputs are all constants records nothing.
        #expect((b * b).node == nil)
        // A non-scalar output with an explicit seed.
        let c = Variable(Inputs.normal([2, 2], 7), requiresGrad: true)
        let seed = Inputs.normal([2, 2], 8)
        c.exp().backward(seed: seed)
        expectClose(c.grad, seed * c.value.exp(), atol: 1e-6, "seeded backward")
    }

    @Test("Gradients of a small two-layer network match finite differences end to end")
    func endToEnd() {
        // x [4,3] → linear(3→5) → gelu → linear(5→2) → logSoftmax → gather → mean NLL.
        let inputs = [Inputs.normal([4, 3], 9), Inputs.normal([5, 3], 10, scale: 0.5), Inputs.normal([5], 11),
                      Inputs.normal([2, 5], 12, scale: 0.5)]
        let labels = IndexTensor([0, 1, 1, 0])
        let result = gradcheck(inputs) { v in
            let h = (v[0].matmul(v[1], transposeOther: true) + v[2]).gelu()
            let logits = h.matmul(v[3], transposeOther: true)
            return logits.logSoftmax().gatherLast(labels).mean() * -1
        }
        #expect(result.ok, "\(result)")
    }
}
