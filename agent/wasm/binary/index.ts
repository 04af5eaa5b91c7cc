// The binary decoder's public surface (re-exports only): bytes in, `ModuleAst` out.
export { decodeModule } from './decode.ts';
export { decodeNames } from './names.ts';
export { MAX_LOCALS } from './code.ts';
