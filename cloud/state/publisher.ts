// The cloud's desired-state publisher: signs each device's desired state with the online state-signer key (COSE_Sign1,
// Ed25519) under a per-device sequence that only grows, and publishes it retained at QoS 1 on the device's state topic;
// also publishes signed trust updates retained on the trust topic, and republishes everything for a broker that lost
// its retained messages. It does not decide what a device should run (rollouts do).

import { signSign1, type CoseSigner } from '../../agent/update/cose.ts';
import { readFileIfExists, writeFileAtomic } from '../../agent/update/atomic-file.ts';
import type { MessageBus } from '../../agent/session/bus.ts';
import { encodeDesiredState, type DesiredModule, type DesiredState } from '../../schemas/messages/desired-state.ts';
import { DEVICE_ID_PATTERN, matchesWhole } from '../../schemas/names.ts';
import { topicFor } from '../../schemas/topics.ts';

/** The sequence file's schema version; its field names are a wire format (never rename them). */
const FILE_VERSION = 1;

export interface DesiredStatePublisherOptions {
  /** The state signer's key id (as in the trust update) and Ed25519 seed. */
  readonly signer: CoseSigner;
  /** Where the per-device sequences and the last documents are kept (JSON, written atomically); memory only when absent. */
  readonly file?: string;
  /** Seconds since the epoch; default the system clock. */
  readonly now?: () => number;
  /** How long a state is valid after it is issued; default 7 days. */
  readonly validitySeconds?: number;
}

/** What `publish` signed and sent. */
export interface PublishedState {
  readonly state: DesiredState;
  /** The COSE_Sign1 bytes, as published. */
  readonly signed: Uint8Array;
}

/** Options of one `publish`. */
export interface PublishStateOptions {
  readonly issuedAt?: number;
  readonly expiresAt?: number;
}

/** A device id that no topic or state may carry. */
export class PublisherError extends Error {
  override readonly name = 'PublisherError';
  constructor(
    readonly code: 'bad-device-id' | 'corrupt-file',
    message: string,
  ) {
    super(message);
  }
}

interface DeviceRecord {
  sequence: number;
  /** base64 of the last signed state. */
  state?: string;
  /** base64 of the last signed trust update. */
  trust?: string;
}

interface FileRecord {
  readonly v: number;
  readonly devices: Record<string, DeviceRecord>;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

export class DesiredStatePublisher {
  private readonly devices = new Map<string, DeviceRecord>();
  /** Publishes of one device run in order, so the retained message is always the newest sequence. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  private readonly validity: number;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly bus: MessageBus,
    private readonly options: DesiredStatePublisherOptions,
  ) {
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.validity = options.validitySeconds ?? 7 * 86_400;
  }

  /**
   * Opens a publisher, reading the sequence file when one is configured.
   * @throws PublisherError "corrupt-file" when the file exists but cannot be read back; file system errors
   */
  static async open(bus: MessageBus, options: DesiredStatePublisherOptions): Promise<DesiredStatePublisher> {
    const p = new DesiredStatePublisher(bus, options);
    if (options.file !== undefined) {
      const bytes = await readFileIfExists(options.file);
      if (bytes !== undefined) {
        let rec: FileRecord;
        try {
          rec = JSON.parse(Buffer.from(bytes).toString('utf8')) as FileRecord;
          if (rec.v !== FILE_VERSION || typeof rec.devices !== 'object' || rec.devices === null) throw new Error(`schema version ${String(rec.v)}`);
        } catch (e) {
          throw new PublisherError('corrupt-file', `Cannot read the desired-state sequences in "${options.file}": ${(e as Error).message}`);
        }
        for (const [id, d] of Object.entries(rec.devices)) {
          if (!Number.isSafeInteger(d.sequence) || d.sequence < 0) throw new PublisherError('corrupt-file', `Cannot read the desired-state sequences in "${options.file}": device "${id}" has sequence ${String(d.sequence)}`);
          p.devices.set(id, { ...d });
        }
      }
    }
    return p;
  }

  /** The last sequence signed for `deviceId` (0 before the first). */
  sequenceOf(deviceId: string): number {
    return this.devices.get(deviceId)?.sequence ?? 0;
  }

  /** The last signed state of `deviceId`, or undefined. */
  lastSigned(deviceId: string): Uint8Array | undefined {
    const s = this.devices.get(deviceId)?.state;
    return s === undefined ? undefined : unb64(s);
  }

  /**
   * Signs `modules` as the next desired state of `deviceId` (sequence one above the last, persisted before anything is
   * sent) and publishes it retained at QoS 1 on the device's state topic.
   * @throws PublisherError "bad-device-id"; SchemaError when the state is invalid (duplicate names...); the bus's error
   */
  publish(deviceId: string, modules: readonly DesiredModule[], options: PublishStateOptions = {}): Promise<PublishedState> {
    checkDeviceId(deviceId);
    return this.serial(deviceId, async () => {
      const rec = this.devices.get(deviceId) ?? { sequence: 0 };
      const issuedAt = options.issuedAt ?? this.now();
      const state: DesiredState = { v: 1, deviceId, sequence: rec.sequence + 1, issuedAt, expiresAt: options.expiresAt ?? issuedAt + this.validity, modules: [...modules] };
      const signed = signSign1(encodeDesiredState(state), this.options.signer);
      this.devices.set(deviceId, { ...rec, sequence: state.sequence, state: b64(signed) });
      await this.save();
      await this.bus.publish(topicFor('desiredState', deviceId), signed, { qos: 1, retain: true });
      return { state, signed };
    });
  }

  /**
   * Publishes a signed trust update (COSE_Sign by the roots) retained at QoS 1 on the device's trust topic, and keeps
   * it for `republishAll`.
   * @throws PublisherError "bad-device-id"; the bus's error
   */
  publishTrust(deviceId: string, signedTrustUpdate: Uint8Array): Promise<void> {
    checkDeviceId(deviceId);
    return this.serial(deviceId, async () => {
      const rec = this.devices.get(deviceId) ?? { sequence: 0 };
      this.devices.set(deviceId, { ...rec, trust: b64(signedTrustUpdate) });
      await this.save();
      await this.bus.publish(topicFor('trust', deviceId), signedTrustUpdate, { qos: 1, retain: true });
    });
  }

  /**
   * Publishes again, retained, every device's last signed state and trust update, unchanged (same sequence): for a
   * broker that lost its retained messages. Returns how many messages were sent.
   * @throws the bus's error
   */
  async republishAll(): Promise<number> {
    let n = 0;
    await Promise.all(
      [...this.devices.keys()].map((id) =>
        this.serial(id, async () => {
          const rec = this.devices.get(id)!;
          if (rec.trust !== undefined) {
            await this.bus.publish(topicFor('trust', id), unb64(rec.trust), { qos: 1, retain: true });
            n++;
          }
          if (rec.state !== undefined) {
            await this.bus.publish(topicFor('desiredState', id), unb64(rec.state), { qos: 1, retain: true });
            n++;
          }
        }),
      ),
    );
    return n;
  }

  private serial<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(deviceId) ?? Promise.resolve();
    const next = prev.then(work, work);
    const tail = next.catch(() => {});
    this.queues.set(deviceId, tail);
    void tail.then(() => {
      if (this.queues.get(deviceId) === tail) this.queues.delete(deviceId);
    });
    return next;
  }

  /** Writes the file; writes never overlap, and each writes the records as they are when it starts. */
  private save(): Promise<void> {
    const file = this.options.file;
    if (file === undefined) return Promise.resolve();
    const write = async (): Promise<void> => {
      const rec: FileRecord = { v: FILE_VERSION, devices: Object.fromEntries(this.devices) };
      await writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(rec)));
    };
    const next = this.saving.then(write, write);
    this.saving = next.catch(() => {});
    return next;
  }
}

function checkDeviceId(id: string): void {
  if (!matchesWhole(DEVICE_ID_PATTERN, id)) throw new PublisherError('bad-device-id', `Cannot publish for "${id}": not a device id (1 to 64 letters, digits, ".", "_", ":", "-")`);
}
