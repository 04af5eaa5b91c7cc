// `EnrollmentService`: the cloud's side of enrollment. It hears every device's enroll/req, checks each request
// (decodes, topic and payload name the same device, the device's signature), keeps the ones waiting for an operator,
// and answers accepted (the starting trust update and broker credentials sealed to the device's box key), pending or
// refused. It also tells the broker hooks who is enrolled and whether a password is right.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import nacl from 'tweetnacl';
import { decodeEnrollmentRequest, encodeEnrollmentResponse, enrollmentSigningBytes, type EnrollmentRequest, type EnrollmentResponse, type SealedCredentials } from '../../schemas/messages/enrollment.ts';
import { TOPIC_ROOT, TOPICS, parseTopic, topicFor } from '../../schemas/topics.ts';
import type { MessageBus } from '../../agent/session/bus.ts';
import { verify as edVerify } from '../../agent/update/ed25519.ts';
import { MemoryEnrollmentStore, type EnrolledDevice, type EnrollmentStore } from './store.ts';

/** The filter the service listens on. */
export const ENROLL_REQUEST_FILTER = `${TOPIC_ROOT}/dev/+/${TOPICS.enrollRequest.suffix}`;

/** Stable reasons (tests match on them; never rename one). */
export type EnrollmentServiceErrorCode = 'not-pending' | 'bad-code';

export class EnrollmentServiceError extends Error {
  override readonly name = 'EnrollmentServiceError';
  constructor(readonly code: EnrollmentServiceErrorCode, message: string) {
    super(message);
  }
}

/** A request waiting for an operator. */
export interface PendingEnrollment {
  readonly request: EnrollmentRequest;
  readonly receivedAtMs: number;
}

/** What the service saw (counters only grow). */
export interface EnrollmentStats {
  received: number;
  /** Not CBOR, not the schema, or on a topic that is not an enroll/req. */
  malformed: number;
  /** The topic names another device than the payload. */
  mismatched: number;
  /** The signature does not verify with the request's own public key. */
  badSignature: number;
  /** Answers published (any status). */
  answered: number;
  /** Answers that could not be published (the device asks again). */
  publishFailed: number;
  /** A pending request replaced by a newer one with other keys. */
  replaced: number;
  /** Requests dropped because `maxPending` requests already wait. */
  overflow: number;
}

/** An operator's decision on a device that holds no credentials yet, as kept outside the service. */
export interface EnrollmentDecision {
  /** accepted: credentials are issued at its next request; refused and retired: every request is refused. */
  readonly state: 'pending' | 'accepted' | 'refused' | 'retired';
  /** The key the decision is about (a request signed by another key is not the device the operator saw). */
  readonly publicKey: Uint8Array;
  readonly note?: string;
}

/**
 * Where pending requests and operators' decisions live when they must survive a restart and reach every cloud process
 * (the cloud store); without one they live in this service's memory only.
 */
export interface EnrollmentDecisions {
  decisionOf(deviceId: string): Promise<EnrollmentDecision | undefined>;
  /** Records a request waiting for an operator (never over a decision already taken). */
  putPending(request: EnrollmentRequest, atMs: number): Promise<void>;
  /** Marks a one-time token used by the device; false when it was used before (here, in another process, before a restart). */
  useToken(token: string, deviceId: string, atMs: number): Promise<boolean>;
}

export interface EnrollmentServiceOptions {
  /** The signed trust update (COSE_Sign bytes) a newly enrolled device starts from. */
  readonly trust: Uint8Array;
  /** Default: an in-memory store. */
  readonly store?: EnrollmentStore;
  /** Pending requests and operators' decisions kept outside (default: in memory only). */
  readonly decisions?: EnrollmentDecisions;
  /** Accept every valid request at once (tests, demos), or those the function approves. */
  readonly autoAccept?: boolean | ((request: EnrollmentRequest) => boolean);
  /** One-time tokens: a request carrying an unused one is accepted at once; a wrong one is refused ("bad-token"). */
  readonly tokens?: Iterable<string>;
  /** Issue broker credentials (default true); false for a broker with its own logins. */
  readonly issueCredentials?: boolean;
  /** What "pending" answers tell the device to wait; default 30 s. */
  readonly retryAfterMs?: number;
  /** Most requests kept waiting (default 10,000); further ones are dropped and counted. */
  readonly maxPending?: number;
  /** Milliseconds since the epoch; default Date.now. */
  readonly clock?: () => number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();
const sameKeys = (d: EnrolledDevice, r: EnrollmentRequest): boolean => hex(d.publicKey) === hex(r.publicKey) && hex(d.boxKey) === hex(r.boxKey);

export class EnrollmentService {
  readonly stats: EnrollmentStats = { received: 0, malformed: 0, mismatched: 0, badSignature: 0, answered: 0, publishFailed: 0, replaced: 0, overflow: 0 };
  private readonly pendingByDevice = new Map<string, PendingEnrollment>();
  /** Credentials sealed but not used yet: a device that asks again with the same keys gets the same answer. */
  private readonly unconfirmed = new Map<string, SealedCredentials>();
  /** Unused one-time tokens; undefined when the fleet uses none. */
  private readonly tokens: Set<string> | undefined;
  private readonly store: EnrollmentStore;
  private readonly clock: () => number;
  private trust: Uint8Array;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => Promise<void>) | undefined;

  private constructor(private readonly bus: MessageBus, private readonly options: EnrollmentServiceOptions) {
    this.trust = options.trust;
    this.store = options.store ?? new MemoryEnrollmentStore();
    this.tokens = options.tokens === undefined ? undefined : new Set(options.tokens);
    this.clock = options.clock ?? Date.now;
  }

  /** Subscribes to every device's enroll/req and starts answering. */
  static async start(bus: MessageBus, options: EnrollmentServiceOptions): Promise<EnrollmentService> {
    const service = new EnrollmentService(bus, options);
    service.unsubscribe = await bus.subscribe(ENROLL_REQUEST_FILTER, (payload, topic) => {
      const copy = Uint8Array.from(payload);
      void service.serial(() => service.onRequest(copy, topic)).catch(() => undefined);
    });
    return service;
  }

  /** Stops listening (answers already under way finish). */
  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.chain;
  }

  /** Resolves once every request received so far has been handled (tests). */
  async settled(): Promise<void> {
    await this.chain;
  }

  /** Replaces the trust update handed to devices enrolled from now on. */
  setTrust(signedTrustUpdate: Uint8Array): void {
    this.trust = Uint8Array.from(signedTrustUpdate);
  }

  /** Requests waiting for an operator, oldest first. */
  get pending(): readonly PendingEnrollment[] {
    return [...this.pendingByDevice.values()];
  }

  /** The enrolled device, if any. */
  async enrolled(deviceId: string): Promise<EnrolledDevice | undefined> {
    return this.store.get(deviceId);
  }

  /**
   * Whether a client without credentials may use this device id to ask to enroll: yes unless the device is enrolled
   * and has already logged in with its credentials (before that, a device cut short may need to ask again).
   */
  async mayEnroll(deviceId: string): Promise<boolean> {
    const d = await this.store.get(deviceId);
    if (d !== undefined) return d.confirmedAtMs === undefined;
    // a retired device id stays retired until an operator deletes its record
    return (await this.options.decisions?.decisionOf(deviceId))?.state !== 'retired';
  }

  /** True when this service holds a request of the device waiting for an operator. */
  hasPending(deviceId: string): boolean {
    return this.pendingByDevice.has(deviceId);
  }

  /**
   * Forgets what this service holds in memory for the device (a waiting request, credentials not yet used) without
   * touching its stored record: for a device retired or refused elsewhere.
   */
  revoke(deviceId: string): Promise<void> {
    return this.serial(async () => {
      this.pendingByDevice.delete(deviceId);
      this.unconfirmed.delete(deviceId);
    });
  }

  /**
   * Checks a device's broker password in constant time; the first success confirms the enrollment.
   */
  async checkPassword(deviceId: string, password: Uint8Array): Promise<boolean> {
    const d = await this.store.get(deviceId);
    // Compare hashes of equal length even for an unknown device, so timing says nothing about which ids exist.
    const expected = d?.passwordHash ?? sha256(randomBytes(32));
    const ok = timingSafeEqual(sha256(password), expected) && d !== undefined;
    if (ok && d.confirmedAtMs === undefined) {
      await this.store.put({ ...d, confirmedAtMs: this.clock() });
      this.unconfirmed.delete(deviceId);
    }
    return ok;
  }

  /**
   * Accepts a waiting device: stores it with fresh credentials and answers it.
   * @throws EnrollmentServiceError 'not-pending'
   */
  accept(deviceId: string): Promise<void> {
    return this.serial(async () => {
      const p = this.pendingByDevice.get(deviceId);
      if (p === undefined) throw new EnrollmentServiceError('not-pending', `Cannot accept device "${deviceId}": it has no pending enrollment request`);
      this.pendingByDevice.delete(deviceId);
      await this.acceptRequest(p.request);
    });
  }

  /** Runs `fn` after every request and operator action before it, so they never interleave. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Refuses a waiting device with a code (lowercase letters, digits, "-") and answers it.
   * @throws EnrollmentServiceError 'not-pending', 'bad-code'
   */
  refuse(deviceId: string, code: string, message?: string): Promise<void> {
    return this.serial(async () => {
      if (!/^[a-z][a-z0-9-]{0,63}$/.test(code)) throw new EnrollmentServiceError('bad-code', `Cannot refuse with code "${code}": lowercase letters, digits and "-" only`);
      const p = this.pendingByDevice.get(deviceId);
      if (p === undefined) throw new EnrollmentServiceError('not-pending', `Cannot refuse device "${deviceId}": it has no pending enrollment request`);
      this.pendingByDevice.delete(deviceId);
      await this.answer(p.request, { status: 'refused', code, ...(message !== undefined ? { message } : {}) });
    });
  }

  /** Forgets an enrolled device (it must enroll again; its password stops working). */
  async forget(deviceId: string): Promise<void> {
    this.unconfirmed.delete(deviceId);
    await this.store.delete(deviceId);
  }

  private async onRequest(payload: Uint8Array, topic: string): Promise<void> {
    this.stats.received++;
    let request: EnrollmentRequest;
    let topicDevice: string;
    try {
      const parsed = parseTopic(topic);
      if (parsed.name !== 'enrollRequest') throw new Error('not an enroll/req topic');
      topicDevice = parsed.deviceId;
      request = decodeEnrollmentRequest(payload);
    } catch {
      this.stats.malformed++;
      return;
    }
    if (request.deviceId !== topicDevice) {
      this.stats.mismatched++;
      return;
    }
    if (edVerify(enrollmentSigningBytes(request), request.signature, request.publicKey) !== 'ok') {
      this.stats.badSignature++;
      return;
    }
    const known = await this.store.get(request.deviceId);
    if (known !== undefined) {
      if (!sameKeys(known, request)) return this.answer(request, { status: 'refused', code: 'already-enrolled', message: 'another key pair is enrolled under this device id' });
      const sealed = this.unconfirmed.get(request.deviceId);
      if (sealed !== undefined) return this.answer(request, { status: 'accepted', trust: this.trust, credentials: sealed });
      // The device proved it holds the enrolled key and has lost its credentials: issue new ones.
      return this.acceptRequest(request);
    }
    const decided = await this.options.decisions?.decisionOf(request.deviceId);
    // decided elsewhere (another cloud process, before a restart): what this service held is stale
    if (decided !== undefined && decided.state !== 'pending') this.pendingByDevice.delete(request.deviceId);
    if (decided?.state === 'retired') return this.answer(request, { status: 'refused', code: 'retired', message: 'this device id was retired by an operator' });
    if (decided?.state === 'refused' && hex(decided.publicKey) === hex(request.publicKey)) {
      return this.answer(request, { status: 'refused', code: 'refused', ...(decided.note === undefined ? {} : { message: decided.note }) });
    }
    if (decided?.state === 'accepted') {
      if (hex(decided.publicKey) !== hex(request.publicKey)) return this.answer(request, { status: 'refused', code: 'already-enrolled', message: 'another key pair is enrolled under this device id' });
      this.pendingByDevice.delete(request.deviceId);
      return this.acceptRequest(request);
    }
    if (this.tokens !== undefined && request.token !== undefined) {
      const unused = this.tokens.delete(request.token) && ((await this.options.decisions?.useToken(request.token, request.deviceId, this.clock())) ?? true);
      if (!unused) return this.answer(request, { status: 'refused', code: 'bad-token', message: 'the enrollment token is unknown or was used' });
      this.pendingByDevice.delete(request.deviceId);
      return this.acceptRequest(request);
    }
    const auto = this.options.autoAccept;
    if (auto === true || (typeof auto === 'function' && auto(request))) {
      this.pendingByDevice.delete(request.deviceId);
      return this.acceptRequest(request);
    }
    const before = this.pendingByDevice.get(request.deviceId);
    if (before === undefined && this.pendingByDevice.size >= (this.options.maxPending ?? 10_000)) {
      this.stats.overflow++;
      return;
    }
    if (before !== undefined && hex(before.request.publicKey) !== hex(request.publicKey)) this.stats.replaced++;
    this.pendingByDevice.delete(request.deviceId);
    this.pendingByDevice.set(request.deviceId, { request, receivedAtMs: this.clock() });
    await this.options.decisions?.putPending(request, this.clock());
    return this.answer(request, { status: 'pending', retryAfterMs: this.options.retryAfterMs ?? 30_000 });
  }

  private async acceptRequest(request: EnrollmentRequest): Promise<void> {
    const issue = this.options.issueCredentials ?? true;
    const password = randomBytes(32).toString('base64url');
    const device: EnrolledDevice = {
      deviceId: request.deviceId,
      deviceClass: request.deviceClass,
      publicKey: request.publicKey,
      boxKey: request.boxKey,
      passwordHash: sha256(issue ? password : randomBytes(32)),
      enrolledAtMs: this.clock(),
    };
    await this.store.put(device);
    if (!issue) return this.answer(request, { status: 'accepted', trust: this.trust });
    const credentials = sealCredentials(request, password);
    this.unconfirmed.set(request.deviceId, credentials);
    return this.answer(request, { status: 'accepted', trust: this.trust, credentials });
  }

  private async answer(request: EnrollmentRequest, result: EnrollmentResponse['result']): Promise<void> {
    const bytes = encodeEnrollmentResponse({ v: 1, requestId: request.requestId, deviceId: request.deviceId, result });
    try {
      await this.bus.publish(topicFor('enrollResponse', request.deviceId), bytes, { qos: TOPICS.enrollResponse.qos });
      this.stats.answered++;
    } catch {
      this.stats.publishFailed++;
    }
  }
}

/** Seals `{ password }` to the request's box key with a fresh cloud key pair and nonce. */
export function sealCredentials(request: Pick<EnrollmentRequest, 'deviceId' | 'boxKey'>, password: string): SealedCredentials {
  const cloud = nacl.box.keyPair();
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const plain = new TextEncoder().encode(JSON.stringify({ password }));
  return { username: request.deviceId, nonce, cloudBoxKey: cloud.publicKey, sealed: nacl.box(plain, nonce, Uint8Array.from(request.boxKey), cloud.secretKey) };
}
