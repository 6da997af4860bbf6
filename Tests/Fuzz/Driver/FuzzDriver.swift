// The libFuzzer side of the fuzz targets, compiled only in TOKENALIGN_FUZZ builds (scripts/fuzz.sh).
// SwiftPM links an executable with `main` aliased to `<module>_main`, so each target defines that
// symbol and hands over to libFuzzer's driver (`LLVMFuzzerRunDriver`). The per-input callback,
// `LLVMFuzzerTestOneInput`, runs the FuzzHarness function named by the executable (`fuzz-<name>`).
import Foundation
import FuzzHarness

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

// LeakSanitizer's interface (linked in by -sanitize=address).
@_silgen_name("__lsan_disable") func lsanDisable()
@_silgen_name("__lsan_enable") func lsanEnable()

/// The harness function of this executable: `fuzz-<name>` runs `FuzzHarness.targets[name]`.
let current: (@Sendable (Data) -> FuzzHarness.Outcome)? = {
    let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").lastPathComponent
    return FuzzHarness.targets[String(exe.dropFirst("fuzz-".count))]
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = current?(Data(bytes: bytes, count: count))
    return 0
}

/// Runs libFuzzer with the process's arguments.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard current != nil else {
        FileHandle.standardError.write(Data("\(CommandLine.arguments.first ?? ""): not a fuzz-<target> executable\n".utf8))
        return 2
    }
    // The process-lifetime fixtures (the fixture tokenizer) are built with LeakSanitizer off:
    // Swift keeps some of their references inside multi-payload and indirect enums, whose pointers
    // carry the case in their spare bits, so LeakSanitizer's scan does not recognise them and
    // reports the objects as leaked although a global holds them (docs/design/hardening.md §5).
    // Allocations made while it is off are treated as live roots, so what they point to (ICU's
    // regex state, allocated later) is not reported either; allocations made for an input are.
    lsanDisable()
    FuzzHarness.prepareFixtures()
    lsanEnable()
    // One run before libFuzzer starts counting: Foundation's lazily built caches are allocated once.
    _ = current?(Data())
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { bytes, count in fuzzOneInput(bytes, count) }
}
