// libFuzzer entry point for the config parser (FuzzHarness.targets["config"]); built by scripts/fuzz.sh.
import Foundation
import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = FuzzHarness.targets["config"]?(Data(bytes: bytes, count: count))
    return 0
}
