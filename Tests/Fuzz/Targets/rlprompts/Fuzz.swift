// libFuzzer target for FuzzHarness.targets["rlprompts"]; built only by scripts/fuzz.sh.
import FuzzDriver

@_cdecl("fuzz_rlprompts_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv) }
