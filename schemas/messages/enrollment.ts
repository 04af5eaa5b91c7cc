// Enrollment: a new device asks to join the fleet (its id, class, public key and box key, signed by its own key) and
// the cloud answers with the signed trust update to start from and broker credentials sealed to the device's box key,
// or a refusal; correlated by request id.

import { encodeCbor } from '../cbor/index.ts';
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
  /** The device's X25519 public key (nacl.box), used only to receive its sealed broker credentials. */
  boxKey: s.bytes({ length: 32 }),
  /**
   * Ed25519 signature by `publicKey` over `enrollmentSigningBytes(request)` (every other field): proof that the
   * device holds the key it enrolls, so a request cannot be altered (another box key, say) on its way.
   */
  signature: s.bytes({ length: 64 }),
});
export type EnrollmentRequest = Infer<typeof enrollmentRequestSchema>;

/**
 * Broker credentials sealed to the device: `sealed` is nacl.box(JSON `{"password": ...}` as UTF-8, nonce, the device's
 * box key, the secret half of `cloudBoxKey`), so a client that overhears the answer learns nothing it can use.
 */
export const sealedCredentialsSchema = s.object({
  /** The MQTT username, the device id. */
  username: s.text({ maxBytes: 64, minBytes: 1 }),
  nonce: s.bytes({ length: 24 }),
  /** The cloud's X25519 public key for this answer. */
  cloudBoxKey: s.bytes({ length: 32 }),
  sealed: s.bytes({ maxLength: 512, minLength: 17 }),
});
export type SealedCredentials = Infer<typeof sealedCredentialsSchema>;

export const enrollmentResponseSchema = s.object({
  v: s.literal(1),
  requestId,
  deviceId,
  result: s.union('status', [
    /** `trust`: a signed trust update (COSE_Sign bytes), which the device verifies against its bootstrap root keys. */
    s.object({
      status: s.literal('accepted'),
      trust: s.bytes({ maxLength: 64 * 1024, minLength: 1 }),
      /** Broker credentials when the cloud issues them: only the device's box key opens `sealed`. */
      credentials: s.optional(sealedCredentialsSchema),
    }),
    s.object({ status: s.literal('pending'), retryAfterMs: s.uint({ max: 86_400_000 }) }),
    s.object({ status: s.literal('refused'), code: errorCode, message: s.optional(s.text({ maxBytes: 512 })) }),
  ]),
});
export type EnrollmentResponse = Infer<typeof enrollmentResponseSchema>;

export const enrollmentRequestMessage = defineMessage('enrollmentRequest', enrollmentRequestSchema, { signed: false, maxBytes: 4096, maxDepth: 3, maxStringBytes: 256, maxItems: 32 });
export const enrollmentResponseMessage = defineMessage('enrollmentResponse', enrollmentResponseSchema, { signed: false, maxBytes: 72 * 1024, maxDepth: 3, maxStringBytes: 64 * 1024, maxItems: 8 });

/** Domain separation for the request signature, so it can never pass for a signature over another document. */
export const ENROLLMENT_SIGNING_CONTEXT = 'fleetlet/enrollment-request/v1';

/**
 * The bytes a device signs for its request: deterministic CBOR of [context, the request without `signature`].
 * @throws CborError when a field has no CBOR form
 */
export function enrollmentSigningBytes(r: Omit<EnrollmentRequest, 'signature'> & { readonly signature?: Uint8Array }): Uint8Array {
  const { signature: _ignored, ...rest } = r;
  return encodeCbor([ENROLLMENT_SIGNING_CONTEXT, rest]);
}

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
