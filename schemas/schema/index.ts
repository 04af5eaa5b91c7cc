// fleetlet's schema DSL: the public surface (re-exports only).
export { s } from './builders.ts';
export { SchemaError, describeValue } from './errors.ts';
export type { SchemaErrorCode } from './errors.ts';
export type * from './types.ts';
