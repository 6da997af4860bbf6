// libFuzzer target for FuzzHarness.targets["rewardbench"]; built only by scripts/fuzz.sh.
import FuzzDriver

@_cdecl("fuzz_rewardbench_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv) }
