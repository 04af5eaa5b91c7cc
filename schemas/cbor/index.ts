// fleetlet's strict CBOR: the public surface (re-exports only).
export { CborError } from './errors.ts';
export type { CborErrorCode } from './errors.ts';
export { encodeCbor, Tagged } from './encode.ts';
export type { CborValue, CborEncodeOptions } from './encode.ts';
export { decodeCbor } from './decode.ts';
export { DEFAULT_CBOR_OPTIONS, resolveCborOptions } from './options.ts';
export type { CborDecodeOptions, ResolvedCborOptions } from './options.ts';
export { scanCbor } from './scan.ts';
