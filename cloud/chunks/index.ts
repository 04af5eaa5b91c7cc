// The cloud's blob store and chunk server: the public surface (re-exports only).
export { BlobStore, BadDigest, digestHex } from './blob-store.ts';
export { ChunkService, CHUNK_REQUEST_FILTER } from './chunk-service.ts';
export type { ChunkServiceCounters, ChunkServiceOptions, RateLimit } from './chunk-service.ts';
