// Desired states kept in the cloud store (the `fleetlet cloud` mode; DesiredStatePublisher's file mode serves the
// one-process MiniCloud): each device's modules, last sequence and signed bytes are a row written by compare-and-set
// on the sequence, so cloud processes sharing one PostgreSQL never sign two states under one sequence; the signed
// state is then published retained. Changing one app keeps the device's other apps and their settings.

import { decodeSign1, signSign1, type CoseSigner } from '../../agent/update/cose.ts';
import type { MessageBus } from '../../agent/session/bus.ts';
import { decodeDesiredState, encodeDesiredState, type DesiredState } from '../../schemas/messages/desired-state.ts';
import { DEVICE_ID_PATTERN, matchesWhole } from '../../schemas/names.ts';
import { topicFor } from '../../schemas/topics.ts';
import type { CloudStore } from '../store/store.ts';
import type { DesiredModuleRecord, DesiredStateRecord } from '../store/types.ts';
import { PublisherError, type PublishedState } from './publisher.ts';

export interface StoreDesiredStatesOptions {
  readonly store: CloudStore;
  readonly bus: MessageBus;
  /** The state signer's key id (as in the trust update) and Ed25519 seed. */
  readonly signer: CoseSigner;
  /** Milliseconds since the epoch; default Date.now (states are signed in whole seconds of it). */
  readonly clock?: () => number;
  /** How long a state is valid after it is issued; default 7 days. */
  readonly validitySeconds?: number;
  /** Compare-and-set attempts before giving up (another process keeps winning); default 20. */
  readonly maxAttempts?: number;
}

/** A device's desired state could not be written: another writer kept changing it. */
export class DesiredStateConflict extends Error {
  override readonly name = 'DesiredStateConflict';
  readonly code = 'conflict';
  constructor(readonly deviceId: string, attempts: number) {
    super(`Cannot write the desired state of device "${deviceId}": it changed under this process ${attempts} times in a row`);
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

export class StoreDesiredStates {
  readonly #o: StoreDesiredStatesOptions;
  readonly #clock: () => number;
  /** One device's writes run in order in this process (other processes are kept apart by compare-and-set). */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(options: StoreDesiredStatesOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Sets one app of the device's desired state (`entry` undefined removes it), keeping its other apps; the app keeps
   * its settings unless `entry` names new ones. Signs the next sequence, stores it, publishes it retained.
   * @throws PublisherError 'bad-device-id'; DesiredStateConflict; SchemaError (a state the schema refuses); the bus's or the store's error
   */
  setApp(deviceId: string, app: string, entry: { readonly manifestDigest: string; readonly version?: string; readonly settings?: Readonly<Record<string, string>> } | undefined): Promise<PublishedState> {
    return this.update(deviceId, (modules) => {
      const before = modules.find((m) => m.name === app);
      const others = modules.filter((m) => m.name !== app);
      if (entry === undefined) return others;
      const next: DesiredModuleRecord = {
        name: app,
        manifestDigest: entry.manifestDigest,
        settings: { ...(entry.settings ?? before?.settings ?? {}) },
        ...(entry.version === undefined ? {} : { version: entry.version }),
      };
      return [...others, next].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  /**
   * Replaces the device's whole desired state with what `change` makes of its current modules.
   * @throws as `setApp`
   */
  update(deviceId: string, change: (modules: readonly DesiredModuleRecord[]) => readonly DesiredModuleRecord[]): Promise<PublishedState> {
    checkDeviceId(deviceId);
    return this.#serial(deviceId, async () => {
      const max = this.#o.maxAttempts ?? 20;
      for (let attempt = 1; attempt <= max; attempt++) {
        const row = await this.#o.store.getDesiredState(deviceId);
        const modules = change(row?.modules ?? []);
        const issuedAt = Math.floor(this.#clock() / 1000);
        const state: DesiredState = {
          v: 1,
          deviceId,
          sequence: (row?.sequence ?? 0) + 1,
          issuedAt,
          expiresAt: issuedAt + (this.#o.validitySeconds ?? 7 * 86_400),
          modules: modules.map((m) => ({ name: m.name, manifestDigest: fromHex(m.manifestDigest), settings: { ...m.settings } })),
        };
        const signed = signSign1(encodeDesiredState(state), this.#o.signer);
        if (!(await this.#o.store.putDesiredState({ deviceId, sequence: state.sequence, modules: [...modules], signed, updatedAtMs: this.#clock() }, row?.sequence))) continue;
        await this.#o.bus.publish(topicFor('desiredState', deviceId), signed, { qos: 1, retain: true });
        return { state, signed };
      }
      throw new DesiredStateConflict(deviceId, max);
    });
  }

  /**
   * Clears the device's retained desired state (an empty retained payload) and forgets its modules; the sequence
   * stays, so a state signed later is still above every one before.
   * @throws PublisherError 'bad-device-id'; DesiredStateConflict; the bus's or the store's error
   */
  clear(deviceId: string): Promise<void> {
    checkDeviceId(deviceId);
    return this.#serial(deviceId, async () => {
      const max = this.#o.maxAttempts ?? 20;
      for (let attempt = 1; attempt <= max; attempt++) {
        const row = await this.#o.store.getDesiredState(deviceId);
        if (row !== undefined && !(await this.#o.store.putDesiredState({ deviceId, sequence: row.sequence, modules: [], updatedAtMs: this.#clock() }, row.sequence))) continue;
        await this.#o.bus.publish(topicFor('desiredState', deviceId), new Uint8Array(0), { qos: 1, retain: true });
        return;
      }
      throw new DesiredStateConflict(deviceId, max);
    });
  }

  /**
   * Publishes a signed trust update retained on the device's trust topic and records it for `republishAll`.
   * @throws PublisherError 'bad-device-id'; the bus's or the store's error
   */
  publishTrust(deviceId: string, signedTrustUpdate: Uint8Array): Promise<void> {
    checkDeviceId(deviceId);
    return this.#serial(deviceId, async () => {
      await this.#o.store.setDesiredTrust(deviceId, signedTrustUpdate, this.#clock());
      await this.#o.bus.publish(topicFor('trust', deviceId), signedTrustUpdate, { qos: 1, retain: true });
    });
  }

  /** The stored row of the device. */
  get(deviceId: string): Promise<DesiredStateRecord | undefined> {
    return this.#o.store.getDesiredState(deviceId);
  }

  /**
   * Publishes again, retained and unchanged, every device's last signed state and trust update (a broker that keeps
   * retained messages in memory lost them when it restarted). Returns how many messages were sent.
   * @throws the bus's or the store's error
   */
  async republishAll(): Promise<number> {
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#o.store.listDesiredStates({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
      await Promise.all(
        page.items.map((row) =>
          this.#serial(row.deviceId, async () => {
            if (row.trust !== undefined) {
              await this.#o.bus.publish(topicFor('trust', row.deviceId), row.trust, { qos: 1, retain: true });
              n++;
            }
            if (row.signed !== undefined) {
              await this.#o.bus.publish(topicFor('desiredState', row.deviceId), row.signed, { qos: 1, retain: true });
              n++;
            }
          }),
        ),
      );
      cursor = page.next;
    } while (cursor !== undefined);
    return n;
  }

  /**
   * Signs again, with the same modules under the next sequence, every stored state issued more than half its validity
   * ago, so that a device that reconnects after a long time still finds a state it accepts (an expired one is refused).
   * Returns how many states were signed again.
   * @throws the bus's or the store's error
   */
  async refreshStale(): Promise<number> {
    const validity = this.#o.validitySeconds ?? 7 * 86_400;
    const cutoff = Math.floor(this.#clock() / 1000) - Math.floor(validity / 2);
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#o.store.listDesiredStates({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
      for (const row of page.items) {
        if (row.signed === undefined) continue;
        let issuedAt: number;
        try {
          issuedAt = decodeDesiredState(decodeSign1(row.signed).payload).issuedAt;
        } catch {
          issuedAt = 0; // unreadable: sign a fresh one
        }
        if (issuedAt > cutoff) continue;
        await this.update(row.deviceId, (modules) => modules);
        n++;
      }
      cursor = page.next;
    } while (cursor !== undefined);
    return n;
  }

  #serial<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.#queues.get(deviceId) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => {});
    this.#queues.set(deviceId, tail);
    void tail.then(() => {
      if (this.#queues.get(deviceId) === tail) this.#queues.delete(deviceId);
    });
    return next;
  }
}

/** Hex of a manifest digest, the form the store keeps. */
export const digestHex = hex;

function checkDeviceId(id: string): void {
  if (!matchesWhole(DEVICE_ID_PATTERN, id)) throw new PublisherError('bad-device-id', `Cannot publish for "${id}": not a device id (1 to 64 letters, digits, ".", "_", ":", "-")`);
}
