// The validator's public surface (re-exports only): validateModule and what it tells the translator.
export { validateModule } from './module.ts';
export type { ModuleValidation } from './module.ts';
export type { FuncValidation } from './func.ts';
export { buildContext } from './context.ts';
export type { Context } from './context.ts';
