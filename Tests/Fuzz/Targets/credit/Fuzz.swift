// libFuzzer target for FuzzHarness.targets["credit"]; built only by scripts/fuzz.sh.
import FuzzDriver

@_cdecl("fuzz_credit_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv) }
