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
    // One run before libFuzzer starts counting: lazily built state (the JSONL target's fixture
    // tokenizer, Foundation's caches) is allocated once and kept, which LeakSanitizer would
    // otherwise report against the first input.
    _ = current?(Data())
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { bytes, count in fuzzOneInput(bytes, count) }
}
