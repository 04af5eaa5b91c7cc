// The fleet simulator: the public surface (re-exports only).
export { FleetSim, SIM_AGENT_DEFAULTS } from './fleet-sim.ts';
export type { FleetSimOptions, FleetSnapshot, PowerCut, WorkerUsage } from './fleet-sim.ts';
export { planFleet, assignWorkers, simDeviceId, FleetPlanError, DEFAULT_OFFLINE, DEFAULT_SLOW } from './plan.ts';
export type { FleetPlanOptions, SimDeviceSpec, SlowLink, OfflinePeriods } from './plan.ts';
export { startLink } from './link.ts';
export type { DeviceLink } from './link.ts';
export { startSimAgent } from './sim-agent.ts';
export type { SimAgent, SimAgentPlan } from './sim-agent.ts';
export type { DeviceStat, SimAgentSettings } from './protocol.ts';
