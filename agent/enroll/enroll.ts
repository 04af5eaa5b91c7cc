// `enroll`: the device's side of joining the fleet. It asks on its enroll/req topic, waits for the answer to its
// request id, retries while the cloud says "pending", and on "accepted" checks the starting trust update against the
// pinned bootstrap roots, provisions the trust store, opens its sealed broker credentials and persists everything,
// so a restart does not enroll again.

import { randomBytes } from 'node:crypto';
import { decodeEnrollmentResponse, encodeEnrollmentRequest, enrollmentSigningBytes, type EnrollmentRequest, type EnrollmentResponse, type SealedCredentials } from '../../schemas/messages/enrollment.ts';
import { SUPPORTED_VERSIONS } from '../../schemas/messages/registry.ts';
import { TOPICS, topicFor } from '../../schemas/topics.ts';
import type { DeviceIdentityStore } from '../identity/identity-store.ts';
import type { MessageBus } from '../session/bus.ts';
import { UpdateRejected } from '../update/rejection.ts';
import type { TrustStore } from '../update/trust-store.ts';
import { EnrollmentError } from './errors.ts';
import { checkPinnedRoots, parseRoots } from './roots.ts';
import { loadEnrollment, saveEnrollment, type BrokerCredentials, type EnrollmentResult } from './state.ts';

/** The version the agent reports when the caller names none. */
export const DEFAULT_AGENT_VERSION = '0.1.0';

/** What happened along the way (for the agent's log and for tests). */
export type EnrollEvent =
  | { readonly type: 'sent'; readonly requestId: string; readonly attempt: number }
  | { readonly type: 'pending'; readonly retryInMs: number }
  | { readonly type: 'no-answer'; readonly waitedMs: number }
  | { readonly type: 'ignored'; readonly reason: 'malformed' | 'other-request' | 'other-device' }
  | { readonly type: 'offline' };

export interface EnrollOptions {
  /** The bootstrap root public keys pinned in the config (hex or bytes). */
  readonly roots: readonly (string | Uint8Array)[];
  /** How many distinct pinned roots must have signed the starting trust update. */
  readonly threshold: number;
  /** A one-time enrollment secret, when the fleet uses them. */
  readonly token?: string;
  readonly agentVersion?: string;
  /** How long to wait for any answer before asking again (doubled each time, up to `maxRetryMs`); default 10 s. */
  readonly responseTimeoutMs?: number;
  /** Bounds of the wait after "pending" (the cloud's `retryAfterMs` is clamped to them); default 1 s and 5 min. */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
  /** Source of jitter in [0, 1); default Math.random. */
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: EnrollEvent) => void;
}

interface Waiter {
  resolve(r: EnrollmentResponse | undefined): void;
}

/** Answers to this device's requests, buffered until the loop asks for the next one. */
class AnswerQueue {
  private readonly answers: EnrollmentResponse[] = [];
  private waiter: Waiter | undefined;
  private timer: NodeJS.Timeout | undefined;

  push(r: EnrollmentResponse): void {
    if (this.waiter !== undefined) this.settle(r);
    else this.answers.push(r);
  }

  next(ms: number): Promise<EnrollmentResponse | undefined> {
    const ready = this.answers.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => {
      this.waiter = { resolve };
      this.timer = setTimeout(() => this.settle(undefined), ms);
    });
  }

  settle(r: EnrollmentResponse | undefined): void {
    const w = this.waiter;
    this.waiter = undefined;
    clearTimeout(this.timer);
    w?.resolve(r);
  }
}

function abortError(): EnrollmentError {
  return new EnrollmentError('aborted', 'Enrollment was stopped before the cloud accepted the device');
}

/** Resolves when the bus is connected (at once when it is), or rejects on abort. */
function whenOnline(bus: MessageBus, signal: AbortSignal | undefined): Promise<void> {
  if (bus.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      remove();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(abortError());
    };
    const remove = bus.onConnectionChange((online) => {
      if (!online) return;
      done();
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Signs a request with the device key. */
export function buildEnrollmentRequest(identity: DeviceIdentityStore, requestId: string, options: Pick<EnrollOptions, 'token' | 'agentVersion'> = {}): EnrollmentRequest {
  const unsigned = {
    v: 1 as const,
    requestId,
    deviceId: identity.deviceId,
    deviceClass: identity.deviceClass,
    publicKey: identity.publicKey,
    agentVersion: options.agentVersion ?? DEFAULT_AGENT_VERSION,
    supportedVersions: Object.fromEntries(Object.entries(SUPPORTED_VERSIONS).map(([k, v]) => [k, [...v]])),
    boxKey: identity.boxPublicKey,
    ...(options.token !== undefined ? { token: options.token } : {}),
  };
  return { ...unsigned, signature: identity.sign(enrollmentSigningBytes(unsigned)) };
}

function openCredentials(identity: DeviceIdentityStore, c: SealedCredentials): BrokerCredentials {
  const plain = identity.openSealed(c.sealed, c.nonce, c.cloudBoxKey);
  if (plain === undefined) throw new EnrollmentError('bad-credentials', 'Cannot open the broker credentials: they are not sealed to this device\'s box key');
  let password: unknown;
  try {
    password = (JSON.parse(Buffer.from(plain).toString('utf8')) as Record<string, unknown>)['password'];
  } catch {
    password = undefined;
  }
  if (typeof password !== 'string' || password.length === 0) throw new EnrollmentError('bad-credentials', 'Cannot read the broker credentials: the sealed box holds no password');
  return { username: c.username, password };
}

/**
 * Enrolls the device, or returns its persisted enrollment when it already did (the bus is then not used).
 * @throws EnrollmentError 'refused' (with the cloud's code in `refusal`), 'untrusted-roots', 'trust-rejected',
 *   'bad-credentials', 'bad-options', 'corrupt', 'aborted'; file system errors
 */
export async function enroll(bus: MessageBus, identity: DeviceIdentityStore, trustStore: TrustStore, options: EnrollOptions): Promise<EnrollmentResult> {
  const done = await loadEnrollment(identity.dir);
  if (done !== undefined) return done;
  const roots = parseRoots(options.roots, options.threshold);
  const minRetry = options.minRetryMs ?? 1000;
  const maxRetry = Math.max(minRetry, options.maxRetryMs ?? 300_000);
  const random = options.random ?? Math.random;
  const emit = (e: EnrollEvent): void => {
    try {
      options.onEvent?.(e);
    } catch {
      // a listener's bug never stops enrollment
    }
  };
  const signal = options.signal;
  const requestId = `enr-${randomBytes(8).toString('hex')}`;
  const request = encodeEnrollmentRequest(buildEnrollmentRequest(identity, requestId, options));
  const queue = new AnswerQueue();
  const onAbort = (): void => queue.settle(undefined);
  signal?.addEventListener('abort', onAbort);
  const unsubscribe = await bus.subscribe(topicFor('enrollResponse', identity.deviceId), (payload) => {
    let r: EnrollmentResponse;
    try {
      r = decodeEnrollmentResponse(payload);
    } catch {
      emit({ type: 'ignored', reason: 'malformed' });
      return;
    }
    if (r.deviceId !== identity.deviceId) emit({ type: 'ignored', reason: 'other-device' });
    else if (r.requestId !== requestId) emit({ type: 'ignored', reason: 'other-request' });
    else queue.push(r);
  });
  try {
    let timeoutMs = options.responseTimeoutMs ?? 10_000;
    let attempt = 0;
    let answer: EnrollmentResponse | undefined;
    for (;;) {
      if (signal?.aborted) throw abortError();
      if (answer === undefined) {
        await publishOnce(bus, request, identity.deviceId, timeoutMs, signal, emit);
        emit({ type: 'sent', requestId, attempt: attempt++ });
        answer = await queue.next(timeoutMs);
        if (signal?.aborted) throw abortError();
        if (answer === undefined) {
          emit({ type: 'no-answer', waitedMs: timeoutMs });
          timeoutMs = Math.min(timeoutMs * 2, maxRetry);
          continue;
        }
      }
      const a: EnrollmentResponse = answer;
      answer = undefined;
      if (a.result.status === 'pending') {
        const clamped = Math.min(maxRetry, Math.max(minRetry, a.result.retryAfterMs));
        const wait = Math.round(Math.min(maxRetry, Math.max(minRetry, clamped * (0.8 + 0.4 * random()))));
        emit({ type: 'pending', retryInMs: wait });
        // An "accepted" published meanwhile (the operator accepted) ends the wait early.
        answer = await queue.next(wait);
        continue;
      }
      if (a.result.status === 'refused') {
        throw new EnrollmentError('refused', `The cloud refused to enroll device "${identity.deviceId}": ${a.result.code}${a.result.message !== undefined ? ` (${a.result.message})` : ''}`, a.result.code);
      }
      return await finish(identity, trustStore, roots, options.threshold, a.result);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await unsubscribe().catch(() => undefined);
  }
}

/**
 * Publishes the request once the bus is up. The acknowledgement is awaited at most `ackTimeoutMs`: a publish caught in a
 * dropped connection may never be acknowledged, and the answer (or its absence) decides what happens next anyway.
 */
async function publishOnce(bus: MessageBus, request: Uint8Array, deviceId: string, ackTimeoutMs: number, signal: AbortSignal | undefined, emit: (e: EnrollEvent) => void): Promise<void> {
  for (;;) {
    await whenOnline(bus, signal);
    let timer: NodeJS.Timeout | undefined;
    try {
      const sent = bus.publish(topicFor('enrollRequest', deviceId), request, { qos: TOPICS.enrollRequest.qos });
      sent.catch(() => undefined);
      await Promise.race([sent, new Promise<void>((resolve) => { timer = setTimeout(resolve, ackTimeoutMs); })]);
      return;
    } catch {
      // offline, or the connection dropped before the acknowledgement: ask again once it is back
      emit({ type: 'offline' });
      if (bus.connected) await new Promise((r) => setTimeout(r, Math.min(ackTimeoutMs, 1000)));
    } finally {
      clearTimeout(timer);
    }
  }
}

async function finish(
  identity: DeviceIdentityStore,
  trustStore: TrustStore,
  roots: readonly Uint8Array[],
  threshold: number,
  accepted: Extract<EnrollmentResponse['result'], { status: 'accepted' }>,
): Promise<EnrollmentResult> {
  checkPinnedRoots(accepted.trust, roots, threshold);
  // Open the credentials before anything is persisted, so a bad answer leaves the device as it was.
  const credentials = accepted.credentials === undefined ? undefined : openCredentials(identity, accepted.credentials);
  // A device cut short after provisioning already holds this trust (or newer, from the operator): keep it.
  if (trustStore.trust === undefined) {
    try {
      await trustStore.provision(accepted.trust);
    } catch (e) {
      if (e instanceof UpdateRejected) throw new EnrollmentError('trust-rejected', `Cannot start from the trust update the cloud sent: ${e.message}`);
      throw e;
    }
  }
  const trust = trustStore.trust;
  const result = {
    deviceId: identity.deviceId,
    ...(credentials !== undefined ? { credentials } : {}),
    trustSequence: trust === undefined ? 0 : trust.update.sequence,
    enrolledAtMs: Date.now(),
  };
  await saveEnrollment(identity.dir, result);
  return { ...result, fresh: true };
}
