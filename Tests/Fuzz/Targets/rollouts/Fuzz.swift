// libFuzzer target for FuzzHarness.targets["rollouts"]; built only by scripts/fuzz.sh.
import FuzzDriver

@_cdecl("fuzz_rollouts_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv) }
