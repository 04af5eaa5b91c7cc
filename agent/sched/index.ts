// fleetlet's cooperative scheduler: the public surface (re-exports only).
export { Scheduler } from './scheduler.ts';
export type { Clock, SchedulerOptions, Task, TaskOutcome, TaskState } from './scheduler.ts';
