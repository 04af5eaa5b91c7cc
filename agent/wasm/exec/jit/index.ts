// The fast tier's public surface (re-exports only): the tiering policy and the compiler.
export { HOT_STEPS, funcInfo, parseTierMode, prepareTier, setTierMode, tierMode, tierOf, tierStats } from './tier.ts';
export type { TierMode, TierStats } from './tier.ts';
export { compileFunction, MAX_CODE_WORDS, MAX_SOURCE_CHARS } from './compile.ts';
export type { CompileOutcome, FuncInfo, Refusal } from './compile.ts';
