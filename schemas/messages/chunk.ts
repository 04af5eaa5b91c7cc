// Chunk transfer: a device asks for a byte range of a module by digest, the cloud answers with
// the bytes or an error; correlated by request id in the payload (MQTT 3.1.1 has no correlation data).

import { deviceId, errorCode, requestId, sha256 } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { MAX_MODULE_BYTES } from './manifest.ts';
import { defineMessage } from './define.ts';

/** Largest chunk a device may ask for. */
export const MAX_CHUNK_BYTES = 64 * 1024;

export const chunkRequestSchema = s.object({
  v: s.literal(1),
  requestId,
  deviceId,
  /** SHA-256 of the whole module (from its verified manifest). */
  digest: sha256,
  offset: s.uint({ max: MAX_MODULE_BYTES }),
  length: s.uint({ min: 1, max: MAX_CHUNK_BYTES }),
});
export type ChunkRequest = Infer<typeof chunkRequestSchema>;

export const chunkResponseSchema = s.object({
  v: s.literal(1),
  requestId,
  digest: sha256,
  offset: s.uint({ max: MAX_MODULE_BYTES }),
  result: s.union('status', [
    /** `data` may be shorter than asked at the end of the module; `totalSize` is the module's size. */
    s.object({ status: s.literal('ok'), totalSize: s.uint({ max: MAX_MODULE_BYTES }), data: s.bytes({ maxLength: MAX_CHUNK_BYTES }) }),
    s.object({ status: s.literal('error'), code: errorCode, message: s.optional(s.text({ maxBytes: 512 })) }),
  ]),
});
export type ChunkResponse = Infer<typeof chunkResponseSchema>;

export const chunkRequestMessage = defineMessage('chunkRequest', chunkRequestSchema, { signed: false, maxBytes: 1024, maxDepth: 1, maxStringBytes: 128, maxItems: 8 });
export const chunkResponseMessage = defineMessage('chunkResponse', chunkResponseSchema, { signed: false, maxBytes: MAX_CHUNK_BYTES + 1024, maxDepth: 2, maxStringBytes: MAX_CHUNK_BYTES, maxItems: 8 });

/** @throws SchemaError when the request does not match its schema */
export function encodeChunkRequest(r: ChunkRequest): Uint8Array {
  return chunkRequestMessage.encode(r);
}

/** @throws CborError, SchemaError */
export function decodeChunkRequest(bytes: Uint8Array): ChunkRequest {
  return chunkRequestMessage.decode(bytes);
}

/** @throws SchemaError when the response does not match its schema */
export function encodeChunkResponse(r: ChunkResponse): Uint8Array {
  return chunkResponseMessage.encode(r);
}

/** @throws CborError, SchemaError */
export function decodeChunkResponse(bytes: Uint8Array): ChunkResponse {
  return chunkResponseMessage.decode(bytes);
}
