import Foundation

/// Open MPI's launcher, when installed (`make test` installs openmpi-bin; without it the MPI tests
/// are skipped with `mpiHint`).
let mpirunPath: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun", "/opt/homebrew/bin/mpirun"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }
let mpiAvailable = mpirunPath != nil
let mpiHint = "mpirun not found: install Open MPI (apt-get install openmpi-bin) to run the multi-process tests"

/// Runs `tokenalign` under mpirun, one rank per argument list (MPMD when they differ), with one
/// compute thread per rank (two ranks share this machine's cores). Ends the job and throws after
/// `timeout` seconds, so a hang fails the test instead of stalling the suite.
func runMPI(_ ranks: [[String]], timeout: Double = 120) throws -> (status: Int32, stdout: String, stderr: String) {
    guard let mpirun = mpirunPath else { throw CLIError(message: mpiHint) }
    return try runProcess(mpirun, try mpirunArguments(ranks), timeout: timeout)
}

func mpirunArguments(_ ranks: [[String]]) throws -> [String] {
    let exe = try tokenalignExecutable().path
    var args = ["--oversubscribe", "--bind-to", "none"]
    for (i, r) in ranks.enumerated() { args += (i > 0 ? [":"] : []) + ["-np", "1", exe] + r }
    return args
}

/// Starts an MPI job without waiting (output discarded), for tests that kill it.
func startMPI(_ ranks: [[String]]) throws -> Process {
    guard let mpirun = mpirunPath else { throw CLIError(message: mpiHint) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: mpirun)
    p.arguments = try mpirunArguments(ranks)
    p.environment = mpiEnvironment()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    return p
}

func mpiEnvironment() -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    env["TOKENALIGN_THREADS"] = "1"
    return env
}

/// The binary alone (no launcher), with the same thread count as the MPI ranks.
func runSingle(_ args: [String], timeout: Double = 120) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess(try tokenalignExecutable().path, args, timeout: timeout)
}

func runProcess(_ path: String, _ args: [String], timeout: Double) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.environment = mpiEnvironment()
    // Files, not pipes: nothing blocks on a full pipe while we wait.
    let tmp = FileManager.default.temporaryDirectory
    let outURL = tmp.appendingPathComponent("ta-mpi-\(UUID().uuidString).out"), errURL = tmp.appendingPathComponent("ta-mpi-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: outURL)
    p.standardError = try FileHandle(forWritingTo: errURL)
    let done = DispatchSemaphore(value: 0)
    p.terminationHandler = { _ in done.signal() }
    try p.run()
    if done.wait(timeout: .now() + timeout) == .timedOut {
        p.terminate()
        _ = done.wait(timeout: .now() + 10)
        throw CLIError(message: "\(path) \(args.joined(separator: " ")) did not finish within \(Int(timeout)) s: \((try? String(contentsOf: errURL, encoding: .utf8)) ?? "")")
    }
    let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? "", err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return (p.terminationStatus, out, err)
}

/// The `loss` of every training step in a run folder's metrics.jsonl (evaluation lines left out).
func stepLosses(_ run: URL) throws -> [Double] {
    let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").compactMap { line in
        let m = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double]
        return m?["loss"]
    }
}

/// The processes whose parent is `pid` (Linux /proc): the ranks mpirun started on this machine.
func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { p in
        // /proc/<p>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after the ')'.
        guard let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == pid
    }.sorted()
}
