// The cloud's blob store and chunk server: the public surface (re-exports only).
export { BlobStore, BadDigest, digestHex } from './blob-store.ts';
export { ChunkService, ChunkServiceError, CHUNK_REQUEST_FILTER, DEFAULT_DEVICE_RATE, DEFAULT_GLOBAL_RATE } from './chunk-service.ts';
export type { ChunkServiceCounters, ChunkServiceOptions, DeviceChunkCounters, RateLimit } from './chunk-service.ts';
