// fleetlet's slot store and update state machine: the public surface (re-exports only).
export { STATES, EVENTS, TRANSITIONS, RECOVERY, MAX_STORES_OF_ONE_STATE, OUTCOMES, OUTCOME_TRANSITIONS, NoTransition, nextState, nextOutcome } from './table.ts';
export type { UpdateState, UpdateEvent, UpdateOutcome, OutcomeEvent } from './table.ts';
export { RecordCorrupt, INITIAL_STATE, STATE_SCHEMA_VERSION, MAX_FAILED_TARGETS, decodeStateRecord, encodeStateRecord } from './record.ts';
export type { StateRecord, SlotRecord, PointerRecord, SlotName, SlotStatus, FailedTarget } from './record.ts';
export { SlotStore, STATE_FILE, APPS_DIR, POINTER_FILE, SLOT_RECORD_FILE, SLOT_MODULE_FILE, SLOT_MANIFEST_FILE, KV_COPY_FILE } from './slot-store.ts';
export type { ActiveModule, SlotContents, SlotStoreOptions } from './slot-store.ts';
export { UpdateMachine, NotRetried } from './machine.ts';
export type { HealthGate, HealthVerdict, UpdateMachineOptions } from './machine.ts';
export { CrashPoints } from './_durable.ts';
