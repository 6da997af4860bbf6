// Which world this process belongs to, decided once from the environment: a launcher (Open MPI's
// mpirun, or srun/prterun through PMIx) sets OMPI_COMM_WORLD_SIZE or PMIX_RANK, and only then is
// libmpi loaded. Without them the process is a world of one and never touches MPI.
import Foundation

public enum World {
    /// The environment variables a launcher sets; any of them means "load MPI".
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"]

    /// True when a launcher started this process.
    public static func launched(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    nonisolated(unsafe) private static var shared: (any Communicator)?
    private static let lock = NSLock()

    /// The world of this process: MPI_COMM_WORLD under a launcher, else a single process. Set up on
    /// first use (the CLI calls `start()` before parsing so a failure is reported at once).
    public static var current: any Communicator {
        lock.lock()
        defer { lock.unlock() }
        if let c = shared { return c }
        let c: any Communicator = SingleProcess()
        shared = c
        return c
    }

    /// Joins the launcher's world (MPI) when there is one; throws when a launcher is present but
    /// MPI cannot be loaded or initialised.
    @discardableResult
    public static func start() throws -> any Communicator {
        lock.lock()
        defer { lock.unlock() }
        if let c = shared { return c }
        let c: any Communicator = launched() ? try MPICommunicator() : SingleProcess()
        shared = c
        return c
    }

    /// The prefix of this process's messages: "rank r of n: " in a multi-process world, else "".
    public static var messagePrefix: String {
        let c = current
        return c.size > 1 ? "rank \(c.rank) of \(c.size): " : ""
    }
}
