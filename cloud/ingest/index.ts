// Cloud ingest of device reports: the public surface (re-exports only).
export { EventDeduplicator, DEFAULT_DEDUP } from './dedup.ts';
export type { DedupOptions } from './dedup.ts';
