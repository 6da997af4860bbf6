// Running a trainer inside an experiment: progress events out, learning curves back.
import Objectives
import Training

enum TrainingCurves {
    /// Runs `trainer` to the end and returns its loss curve and, when it evaluates, its held-out
    /// `rewards/accuracies` and `rewards/margins` curves (TRL's metric names).
    static func run(_ trainer: Trainer, label: String, log: (DemoEvent) -> Void) throws -> [Curve] {
        var steps: [Double] = [], losses: [Double] = []
        var evalSteps: [Double] = [], evalAcc: [Double] = [], evalMargins: [Double] = []
        try trainer.run { event in
            switch event {
            case .step(let step, let total, let m):
                steps.append(Double(step))
                losses.append(Double(m[MetricName.loss] ?? .nan))
                log(.progress(label: label, done: step, total: total))
            case .evaluation(let step, let m):
                if let a = m["eval_" + MetricName.rewardsAccuracies] {
                    evalSteps.append(Double(step))
                    evalAcc.append(Double(a))
                    evalMargins.append(Double(m["eval_" + MetricName.rewardsMargins] ?? .nan))
                }
            case .checkpoint: break
            }
            return .continue
        }
        var out = [Curve(run: label, metric: "loss", steps: steps, values: losses)]
        if !evalSteps.isEmpty {
            out.append(Curve(run: label, metric: "eval_rewards/accuracies", steps: evalSteps, values: evalAcc))
            out.append(Curve(run: label, metric: "eval_rewards/margins", steps: evalSteps, values: evalMargins))
        }
        return out
    }
}
