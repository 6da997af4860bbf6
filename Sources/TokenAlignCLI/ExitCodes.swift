// One exit-code convention for every command (README, "Exit codes"):
//   0  success
//   64 usage or invalid settings: a flag, a settings file (YAML), a method name, models that do not
//      fit together (ArgumentParser's parse and `ValidationError` exits, EX_USAGE)
//   65 input data that cannot be used: a dataset, prompts or rollouts file, or one of its rows; the
//      message names file:line and the field (EX_DATAERR)
//   1  anything else: I/O, model and checkpoint files, a run stopped by a non-finite loss, a run
//      folder locked by another run
//   130 / 143 training stopped by SIGINT / SIGTERM after writing a final checkpoint
// ArgumentParser alone exits 64 for `ValidationError` and 1 for every other thrown error, so
// `TokenAlignCommand.main` maps the thrown errors by type.
import ArgumentParser
import Datasets
import Distributed
import Experiments
import Foundation
import Guidance
import Objectives
import Search
import Support
import Training

/// A data file or row the user gave that cannot be used (exit code 65). The message names the
/// file and, for a row, the line.
struct InputDataError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Settings that cannot work together, found after parsing (exit code 64, without the usage text
/// that `ValidationError` prints).
struct SettingsError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

public enum ExitCodes {
    public static let success: Int32 = 0
    public static let usage: Int32 = 64
    public static let badData: Int32 = 65
    public static let failure: Int32 = 1
    /// Training stopped by SIGINT / SIGTERM after writing its final checkpoint: 128 + the signal
    /// number, as a shell reports a process the signal ended.
    public static let interruptedByInt: Int32 = 130
    public static let interruptedByTerm: Int32 = 143

    /// The exit code for an error a command threw.
    public static func code(for error: Error) -> Int32 {
        switch error {
        case is DatasetError, is InputDataError:
            return badData
        case let e as TrainingError:
            switch e {
            case .invalidConfiguration, .invalidSetting, .unknownSetting, .configurationFile, .modelMismatch: return usage
            case .checkpoint, .nonFinite, .runFolderLocked: return failure
            case .interrupted(let signal, _, _): return signal == "SIGINT" ? interruptedByInt : interruptedByTerm
            }
        case let e as RLInputError:
            if case .invalidSetting = e { return usage }
            return badData
        case let e as SearchError:
            if case .badRow = e { return badData }
            return usage
        case is RegistryError, is ObjectiveSettingError, is SettingsError, is SettingError, is CreditSourceError, is GuideError:
            return usage
        case let e as RMEvalError:
            if case .usage = e { return usage }
            return badData
        case let e as DemoError:
            if case .invalidSetting = e { return usage }
            return failure
        default:
            // ValidationError and parse errors: 64; CleanExit (help): 0; ExitCode: itself; else 1.
            return TokenAlignCommand.exitCode(for: error).rawValue
        }
    }
}

extension TokenAlignCommand {
    /// Parses the command line and runs the command, exiting with `ExitCodes.code(for:)`.
    public static func main(_ arguments: [String]?) {
        let command: ParsableCommand
        do { command = try parseAsRoot(arguments) } catch { exit(withError: error) }
        // Under a launcher (mpirun, srun) join its MPI world first; alone, a world of one without MPI.
        let world: any Communicator
        do { world = try World.start() } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            exit(withError: ExitCode(ExitCodes.failure))
        }
        do {
            var c = command
            try c.run()
            world.finalize()
        } catch {
            let code = ExitCodes.code(for: error)
            if world.size > 1 {
                // One rank failing ends the whole job (MPI_Abort) instead of leaving the others
                // waiting in a collective; the message names the rank.
                FileHandle.standardError.write(Data("Error: rank \(world.rank) of \(world.size): \(fullMessage(for: error).replacingOccurrences(of: "Error: ", with: ""))\n".utf8))
                world.abort(code: code)
            }
            world.finalize()
            // ArgumentParser's own exits (usage text with validation errors, help) where they agree.
            if code == exitCode(for: error).rawValue { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            exit(withError: ExitCode(code))
        }
    }

    public static func main() { main(nil) }
}
