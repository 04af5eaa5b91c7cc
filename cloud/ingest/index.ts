// Cloud ingest of device reports: the public surface (re-exports only).
export { EventDeduplicator, DEFAULT_DEDUP } from './dedup.ts';
export type { DedupOptions } from './dedup.ts';
export { RegistryIngest, RegistryIngestError, INGESTED_TOPICS, AGENT_MODULE } from './registry.ts';
export type { RegistryIngestOptions, RegistryIngestStats, RegistryIngestErrorCode, IngestedTopic } from './registry.ts';
