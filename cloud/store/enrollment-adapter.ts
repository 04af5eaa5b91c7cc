// Backs cloud/enroll's EnrollmentStore with the cloud store: the enrolled devices are the enrollment records in
// state 'accepted'. A retired device is no longer enrolled (its password hash is gone), so the broker refuses it.
import { createHash } from 'node:crypto';
import type { EnrollmentRequest } from '../../schemas/messages/enrollment.ts';
import type { EnrollmentDecision, EnrollmentDecisions } from '../enroll/service.ts';
import type { EnrolledDevice, EnrollmentStore } from '../enroll/store.ts';
import type { CloudStore } from './store.ts';
import type { EnrollmentRecord } from './types.ts';

export class CloudEnrollmentStore implements EnrollmentStore, EnrollmentDecisions {
  readonly #store: CloudStore;

  constructor(store: CloudStore) {
    this.#store = store;
  }

  async get(deviceId: string): Promise<EnrolledDevice | undefined> {
    const r = await this.#store.getEnrollment(deviceId);
    return r === undefined ? undefined : toEnrolled(r);
  }

  /**
   * Records the device as accepted (with its keys and password hash) and lists it in the fleet registry. A retired
   * device stays retired: retirement is a revocation, undone only by an operator deleting the enrollment record.
   */
  async put(device: EnrolledDevice): Promise<void> {
    const before = await this.#store.getEnrollment(device.deviceId);
    if (before?.state === 'retired') return;
    await this.#store.putEnrollment({
      deviceId: device.deviceId,
      deviceClass: device.deviceClass,
      state: 'accepted',
      publicKey: device.publicKey,
      boxKey: device.boxKey,
      passwordHash: device.passwordHash,
      requestedAtMs: before?.requestedAtMs ?? device.enrolledAtMs,
      decidedAtMs: device.enrolledAtMs,
      ...(device.confirmedAtMs !== undefined ? { confirmedAtMs: device.confirmedAtMs } : {}),
    });
    const known = await this.#store.getDevice(device.deviceId);
    if (known?.retiredAtMs === undefined) await this.#store.upsertDevice({ deviceId: device.deviceId, deviceClass: device.deviceClass, atMs: device.enrolledAtMs });
  }

  async delete(deviceId: string): Promise<void> {
    await this.#store.deleteEnrollment(deviceId);
  }

  /** The stored decision on a device that holds no credentials (an accepted one with a password is `get`'s). */
  async decisionOf(deviceId: string): Promise<EnrollmentDecision | undefined> {
    const r = await this.#store.getEnrollment(deviceId);
    if (r === undefined || (r.state === 'accepted' && r.passwordHash !== undefined)) return undefined;
    return { state: r.state, publicKey: r.publicKey, ...(r.note === undefined ? {} : { note: r.note }) };
  }

  /** Stores the request as pending, unless a decision on the device is stored already (a newer request replaces a pending one). */
  async putPending(request: EnrollmentRequest, atMs: number): Promise<void> {
    const before = await this.#store.getEnrollment(request.deviceId);
    if (before !== undefined && before.state !== 'pending') return;
    // the same device asking again keeps its first request time
    if (before !== undefined && Buffer.from(before.publicKey).equals(Buffer.from(request.publicKey)) && Buffer.from(before.boxKey).equals(Buffer.from(request.boxKey))) return;
    await this.#store.putEnrollment({
      deviceId: request.deviceId,
      deviceClass: request.deviceClass,
      state: 'pending',
      publicKey: request.publicKey,
      boxKey: request.boxKey,
      requestedAtMs: atMs,
    });
  }

  /** Marks the token used in the store (only its SHA-256 is kept). */
  async useToken(token: string, deviceId: string, atMs: number): Promise<boolean> {
    return this.#store.useEnrollmentToken(createHash('sha256').update(token).digest('hex'), deviceId, atMs);
  }

  /** Every accepted device (read page by page). */
  async list(): Promise<readonly EnrolledDevice[]> {
    const out: EnrolledDevice[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.listEnrollments({ state: 'accepted', limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
      for (const r of page.items) {
        const d = toEnrolled(r);
        if (d !== undefined) out.push(d);
      }
      cursor = page.next;
    } while (cursor !== undefined);
    return out;
  }
}

function toEnrolled(r: EnrollmentRecord): EnrolledDevice | undefined {
  if (r.state !== 'accepted' || r.passwordHash === undefined) return undefined;
  return {
    deviceId: r.deviceId,
    deviceClass: r.deviceClass,
    publicKey: r.publicKey,
    boxKey: r.boxKey,
    passwordHash: r.passwordHash,
    enrolledAtMs: r.decidedAtMs ?? r.requestedAtMs,
    ...(r.confirmedAtMs !== undefined ? { confirmedAtMs: r.confirmedAtMs } : {}),
  };
}
