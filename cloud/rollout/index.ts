// Rollouts: the public surface (re-exports only).
export { RolloutError } from './errors.ts';
export type { RolloutErrorCode } from './errors.ts';
export { resolveTargets, planWaveSizes, splitIntoWaves } from './plan.ts';
export type { DeviceInfo, TargetSpec, WavePlanSpec } from './plan.ts';
export { judgeRegression, medianLowerBound, signTestLowerRank, checkRegressionConfig, DEFAULT_REGRESSION } from './regression.ts';
export type { DevicePair, MetricJudgement, RegressionConfig, RegressionMetric, RegressionVerdict, VersionMetrics } from './regression.ts';
export { RECORD_VERSION, parseRecord, serialiseRecord } from './record.ts';
export type {
  Decision,
  DecisionCode,
  DevicePhase,
  DeviceProgress,
  HaltCode,
  HaltReason,
  Release,
  ReportedModule,
  RolloutAction,
  RolloutEvent,
  RolloutPolicy,
  RolloutRecord,
  RolloutSpec,
  RolloutState,
  StepResult,
} from './record.ts';
export { reportFromStatus } from './report.ts';
export { createRollout, step, resumeActions, progressSummary, DEFAULT_POLICY } from './engine.ts';
export { MemoryRolloutStore, applyEvent, applyEvents, recoverRollouts } from './store.ts';
export type { RolloutStore } from './store.ts';
export { RolloutDriver, PublishFailed } from './driver.ts';
export type { PublishDesired, RolloutDriverOptions, DriverCounts, RolloutCommand } from './driver.ts';
export { RolloutLeader, LeaderError, ROLLOUT_LEASE } from './leader.ts';
export type { RolloutLeaderOptions, LeaderCounts } from './leader.ts';
