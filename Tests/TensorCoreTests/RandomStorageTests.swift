// Seeded randomness (determinism, known answers, distribution sanity) and the value semantics of
// `Tensor` (copy-on-write, views that share storage).
import TensorCore
import TestSupport
import Testing

@Suite("Random numbers")
struct RandomTests {
    @Test("xoshiro256** seeded by SplitMix64 matches the reference algorithm (known answers)")
    func knownAnswers() {
        // From a direct transcription of Blackman & Vigna's xoshiro256** and splitmix64.c.
        var g0 = RandomGenerator(seed: 0)
        let s0 = [g0.next(), g0.next(), g0.next()]
        #expect(s0 == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
        var g42 = RandomGenerator(seed: 42)
        let s42 = [g42.next(), g42.next(), g42.next()]
        #expect(s42 == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
    }

    @Test("Same seed gives the same numbers; different seeds differ; copies fork the stream")
    func determinism() {
        var a = RandomGenerator(seed: 1234), b = RandomGenerator(seed: 1234), c = RandomGenerator(seed: 1235)
        let ta = Tensor.randomNormal([1000], using: &a), tb = Tensor.randomNormal([1000], using: &b)
        let tc = Tensor.randomNormal([1000], using: &c)
        expectEqual(ta, tb, "same seed")
        #expect(ta.scalars != tc.scalars)
        #expect(a == b && a != c)
        var fork = a
        let fromFork = fork.next(), fromOriginal = a.next()
        #expect(fromFork == fromOriginal)
        expectEqual(randomTensor([4, 5], seed: 9), randomTensor([4, 5], seed: 9), "randomTensor")
        #expect(randomTensor([4, 5], seed: 9).scalars != randomTensor([4, 5], seed: 10).scalars)
        var u1 = RandomGenerator(seed: 5), u2 = RandomGenerator(seed: 5)
        expectEqual(Tensor.randomUniform([64], low: -2, high: 3, using: &u1),
                    Tensor.randomUniform([64], low: -2, high: 3, using: &u2), "uniform")
    }

    @Test("Normal and uniform moments are roughly right")
    func moments() {
        var g = RandomGenerator(seed: 77)
        let n = 200_000
        let x = doubles(Tensor.randomNormal([n], mean: 1.5, std: 2, using: &g))
        let mean = x.reduce(0, +) / Double(n)
        let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
        #expect(Swift.abs(mean - 1.5) < 0.02, "mean \(mean)")
        #expect(Swift.abs(std - 2) < 0.02, "std \(std)")
        let within1 = Double(x.filter { Swift.abs($0 - 1.5) < 2 }.count) / Double(n)
        #expect(Swift.abs(within1 - 0.6827) < 0.01, "P(|z| < 1) = \(within1)")
        let u = doubles(Tensor.randomUniform([n], low: -1, high: 3, using: &g))
        #expect(u.allSatisfy { $0 >= -1 && $0 < 3 })
        let um = u.reduce(0, +) / Double(n)
        #expect(Swift.abs(um - 1) < 0.02, "uniform mean \(um)")
        var unitOK = true
        for _ in 0 ..< 1000 {
            let f = g.nextFloat(), d = g.nextDouble()
            unitOK = unitOK && f >= 0 && f < 1 && d >= 0 && d < 1
        }
        #expect(unitOK)
    }

    @Test("categorical sampling follows the weights")
    func categorical() {
        var g = RandomGenerator(seed: 3)
        let probs = Tensor(shape: [2, 4], data: [0, 1, 0, 0, 0.1, 0.2, 0.3, 0.4])
        var counts = [Int](repeating: 0, count: 4)
        var firstRowAlwaysOne = true
        for _ in 0 ..< 20_000 {
            let s = probs.sampleCategorical(using: &g)
            firstRowAlwaysOne = firstRowAlwaysOne && s.shape == [2] && s.data[0] == 1
            counts[Int(s.data[1])] += 1
        }
        #expect(firstRowAlwaysOne)
        for (k, p) in [0.1, 0.2, 0.3, 0.4].enumerated() {
            #expect(Swift.abs(Double(counts[k]) / 20_000 - p) < 0.015, "category \(k): \(counts[k])")
        }
    }
}

@Suite("Value semantics")
struct StorageTests {
    @Test("Mutating a copy leaves the original untouched")
    func copyOnWrite() {
        let original = randomTensor([3, 4], seed: 80)
        let snapshot = original.scalars
        var copy = original
        #expect(copy.sharesStorage(with: original))
        copy[flat: 0] = 100
        copy[2, 3] = -100
        #expect(original.scalars == snapshot)
        #expect(!copy.sharesStorage(with: original))
        #expect(copy[flat: 0] == 100 && copy[2, 3] == -100 && copy[flat: 1] == snapshot[1])
        var viaPointer = original
        viaPointer.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = 0 } }
        #expect(original.scalars == snapshot && viaPointer.scalars.allSatisfy { $0 == 0 })
    }

    @Test("rows and reshape share storage; writing through a view copies")
    func views() {
        let x = randomTensor([5, 3], seed: 81)
        let snapshot = x.scalars
        var r = x.rows(1 ..< 4)
        #expect(r.sharesStorage(with: x) && r.shape == [3, 3])
        #expect(r.scalars == Array(snapshot[3 ..< 12]))
        #expect(x.row(4).scalars == Array(snapshot[12 ..< 15]) && x.row(4).shape == [3])
        r[flat: 0] = 42
        #expect(x.scalars == snapshot && !r.sharesStorage(with: x) && r[flat: 0] == 42 && r[flat: 1] == snapshot[4])
        var m = x.reshaped([15])
        #expect(m.sharesStorage(with: x))
        m[flat: 14] = -1
        #expect(x.scalars == snapshot)
        // A uniquely owned tensor is mutated in place (no copy).
        var u = Tensor.zeros([4])
        let before = u
        u[flat: 0] = 1
        #expect(before.scalars == [0, 0, 0, 0])
    }

    @Test("Construction helpers")
    func construction() {
        #expect(Tensor.arange(5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor.ones([2, 2]).scalars == [1, 1, 1, 1])
        #expect(Tensor(3.5).shape == [] && Tensor(3.5).scalar == 3.5)
        #expect(Tensor([1, 2]).shape == [2])
        #expect(Tensor(shape: [2], repeating: 7).scalars == [7, 7])
        let t = Tensor(shape: [2, 3], data: [0, 1, 2, 3, 4, 5])
        #expect(t[1, 2] == 5 && t[0, 1] == 1)
        let ext = t.reductionExtents(axis: 1)
        #expect(ext.outer == 2 && ext.n == 3 && ext.inner == 1)
        #expect(Tensor.zeros([0, 3]).count == 0)
    }
}
