// The token-reward contract (`Episode`, `TokenRewards`, `TokenRewardSource`, the adapters) lives in
// `Rewards` (Sources/Rewards/TokenRewards.swift, RewardAdapters.swift); the sources here conform to
// it: the implicit DPO reward, the contrastive critical-token score and attention credit
// (docs/design/rewards.md §1.1).
import Rewards

/// The closure adapter's name from when the contract lived in `Objectives`.
public typealias SequenceRewardFunction = SequenceReward
