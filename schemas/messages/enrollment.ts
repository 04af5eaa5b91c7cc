// Enrollment: a new device asks to join the fleet (its id, class and public key) and the cloud
// answers with the signed trust update to start from, or a refusal; correlated by request id.

import { deviceClass, deviceId, errorCode, requestId, semver, supportedVersions } from '../names.ts';
import { s, type Infer } from '../schema/index.ts';
import { defineMessage } from './define.ts';

export const enrollmentRequestSchema = s.object({
  v: s.literal(1),
  requestId,
  /** The id the device proposes (its hardware serial, say); the topic carries it too. */
  deviceId,
  deviceClass,
  /** The device's own Ed25519 public key. */
  publicKey: s.bytes({ length: 32 }),
  agentVersion: semver,
  supportedVersions,
  /** A one-time enrollment secret, when the fleet uses them. */
  token: s.optional(s.text({ maxBytes: 256, minBytes: 1 })),
});
export type EnrollmentRequest = Infer<typeof enrollmentRequestSchema>;

export const enrollmentResponseSchema = s.object({
  v: s.literal(1),
  requestId,
  deviceId,
  result: s.union('status', [
    /** `trust`: a signed trust update (COSE_Sign bytes), which the device verifies against its bootstrap root keys. */
    s.object({ status: s.literal('accepted'), trust: s.bytes({ maxLength: 64 * 1024, minLength: 1 }) }),
    s.object({ status: s.literal('pending'), retryAfterMs: s.uint({ max: 86_400_000 }) }),
    s.object({ status: s.literal('refused'), code: errorCode, message: s.optional(s.text({ maxBytes: 512 })) }),
  ]),
});
export type EnrollmentResponse = Infer<typeof enrollmentResponseSchema>;

export const enrollmentRequestMessage = defineMessage('enrollmentRequest', enrollmentRequestSchema, { signed: false, maxBytes: 4096, maxDepth: 3, maxStringBytes: 256, maxItems: 32 });
export const enrollmentResponseMessage = defineMessage('enrollmentResponse', enrollmentResponseSchema, { signed: false, maxBytes: 72 * 1024, maxDepth: 2, maxStringBytes: 64 * 1024, maxItems: 8 });

/** @throws SchemaError when the request does not match its schema */
export function encodeEnrollmentRequest(r: EnrollmentRequest): Uint8Array {
  return enrollmentRequestMessage.encode(r);
}

/** @throws CborError, SchemaError */
export function decodeEnrollmentRequest(bytes: Uint8Array): EnrollmentRequest {
  return enrollmentRequestMessage.decode(bytes);
}

/** @throws SchemaError when the response does not match its schema */
export function encodeEnrollmentResponse(r: EnrollmentResponse): Uint8Array {
  return enrollmentResponseMessage.encode(r);
}

/** @throws CborError, SchemaError */
export function decodeEnrollmentResponse(bytes: Uint8Array): EnrollmentResponse {
  return enrollmentResponseMessage.decode(bytes);
}
