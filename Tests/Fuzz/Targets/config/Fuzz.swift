// libFuzzer target for FuzzHarness.targets["config"]; built only by scripts/fuzz.sh.
import FuzzDriver

@_cdecl("fuzz_config_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv) }
