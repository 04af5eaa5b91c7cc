// The on-disk layout of fleetlet's slot store: the update state record, two slots per app (module bytes, signed
// manifest, slot record), the active-slot pointer that is the commit point, and the app's key-value copy for rollback.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { kvFile } from '../../host/kv-store.ts';
import { manifestMessage, type Manifest } from '../../../schemas/messages/manifest.ts';
import { readFileIfExists } from '../atomic-file.ts';
import { decodeSign1 } from '../cose.ts';
import { verifyModuleBytes } from '../module-bytes.ts';
import { manifestDigest } from '../verify.ts';
import { CrashPoints, durableRemove, durableWrite } from './_durable.ts';
import {
  decodePointerRecord, decodeSlotRecord, decodeStateRecord, encodePointerRecord, encodeSlotRecord, encodeStateRecord,
  INITIAL_STATE, POINTER_SCHEMA_VERSION, SLOT_SCHEMA_VERSION,
  type PointerRecord, type SlotName, type SlotRecord, type StateRecord,
} from './record.ts';

/** File and folder names in the data directory: a wire format, never rename them. */
export const STATE_FILE = 'update-state.json';
export const APPS_DIR = 'apps';
export const POINTER_FILE = 'active.json';
export const SLOT_RECORD_FILE = 'slot.json';
export const SLOT_MODULE_FILE = 'module.wasm';
export const SLOT_MANIFEST_FILE = 'manifest.cose';
/** The app's key-value file as it was at the commit point: byte 0 says whether one existed (1) or not (0). */
export const KV_COPY_FILE = 'kv-rollback.bin';

const EMPTY_POINTER: PointerRecord = Object.freeze({ schemaVersion: POINTER_SCHEMA_VERSION, active: null, previous: null });
const EMPTY_SLOT: SlotRecord = Object.freeze({ schemaVersion: SLOT_SCHEMA_VERSION, status: 'empty', sequence: 0, version: '', manifestDigest: '' });
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A slot's contents as read back from disk. */
export interface SlotContents {
  readonly signedManifest: Uint8Array;
  readonly module: Uint8Array;
}

/** The module an app runs, read from its active slot and checked against the manifest in that slot. */
export interface ActiveModule extends SlotContents {
  readonly slot: SlotName;
  readonly manifest: Manifest;
  readonly record: SlotRecord;
}

export interface SlotStoreOptions {
  /** Where the host keeps an app's key-value file (default: the host's `kvFile`). */
  readonly kvPath?: (app: string) => string;
  readonly crash?: CrashPoints;
}

/** Reads and durably writes every file of the slot store; knows nothing of the state machine's order. */
export class SlotStore {
  readonly crash: CrashPoints;
  private readonly kvPath: (app: string) => string;

  constructor(readonly dataDir: string, options: SlotStoreOptions = {}) {
    this.crash = options.crash ?? new CrashPoints();
    this.kvPath = options.kvPath ?? ((app) => kvFile(dataDir, app));
  }

  appDir(app: string): string {
    return join(this.dataDir, APPS_DIR, app);
  }

  slotDir(app: string, slot: SlotName): string {
    return join(this.appDir(app), `slot-${slot}`);
  }

  /** The state record; a missing file means no update ever ran. @throws RecordCorrupt */
  async loadState(): Promise<StateRecord> {
    const bytes = await readFileIfExists(join(this.dataDir, STATE_FILE));
    return bytes === undefined ? INITIAL_STATE : decodeStateRecord(bytes);
  }

  async saveState(r: StateRecord): Promise<void> {
    await durableWrite(join(this.dataDir, STATE_FILE), encodeStateRecord(r), this.crash);
  }

  /** The app's active-slot pointer (no slot active when missing). @throws RecordCorrupt */
  async pointer(app: string): Promise<PointerRecord> {
    const bytes = await readFileIfExists(join(this.appDir(app), POINTER_FILE));
    return bytes === undefined ? EMPTY_POINTER : decodePointerRecord(bytes);
  }

  /** Writes the pointer: the commit point of an update and of a rollback. */
  async setPointer(app: string, active: SlotName | null, previous: SlotName | null): Promise<void> {
    await durableWrite(join(this.appDir(app), POINTER_FILE), encodePointerRecord({ schemaVersion: POINTER_SCHEMA_VERSION, active, previous }), this.crash);
  }

  /** A slot's record (empty when missing). @throws RecordCorrupt */
  async slotRecord(app: string, slot: SlotName): Promise<SlotRecord> {
    const bytes = await readFileIfExists(join(this.slotDir(app, slot), SLOT_RECORD_FILE));
    return bytes === undefined ? EMPTY_SLOT : decodeSlotRecord(bytes);
  }

  async setSlotRecord(app: string, slot: SlotName, r: Omit<SlotRecord, 'schemaVersion'>): Promise<void> {
    await durableWrite(join(this.slotDir(app, slot), SLOT_RECORD_FILE), encodeSlotRecord({ schemaVersion: SLOT_SCHEMA_VERSION, ...r }), this.crash);
  }

  /** Removes a slot's module and manifest (its record stays and says what the slot is for). */
  async clearSlot(app: string, slot: SlotName): Promise<void> {
    await durableRemove(join(this.slotDir(app, slot), SLOT_MODULE_FILE), this.crash);
    await durableRemove(join(this.slotDir(app, slot), SLOT_MANIFEST_FILE), this.crash);
  }

  async writeSlot(app: string, slot: SlotName, contents: SlotContents): Promise<void> {
    await durableWrite(join(this.slotDir(app, slot), SLOT_MANIFEST_FILE), contents.signedManifest, this.crash);
    await durableWrite(join(this.slotDir(app, slot), SLOT_MODULE_FILE), contents.module, this.crash);
  }

  /** A slot's module and manifest, or undefined when either is missing. */
  async readSlot(app: string, slot: SlotName): Promise<SlotContents | undefined> {
    const signedManifest = await readFileIfExists(join(this.slotDir(app, slot), SLOT_MANIFEST_FILE));
    const module = await readFileIfExists(join(this.slotDir(app, slot), SLOT_MODULE_FILE));
    return signedManifest === undefined || module === undefined ? undefined : { signedManifest, module };
  }

  /**
   * The module the app runs: the active slot's bytes, checked against the slot record (manifest digest) and the
   * manifest (size and SHA-256). Signatures are the caller's to check against its trust store.
   * @throws RecordCorrupt, UpdateRejected or a decoding error when the active slot does not hold what it claims
   */
  async activeModule(app: string): Promise<ActiveModule | undefined> {
    const { active } = await this.pointer(app);
    if (active === null) return undefined;
    const record = await this.slotRecord(app, active);
    const contents = await this.readSlot(app, active);
    if (contents === undefined) throw new Error(`Slot "${active}" of "${app}" is active but its files are missing`);
    if (hex(manifestDigest(contents.signedManifest)) !== record.manifestDigest) throw new Error(`Slot "${active}" of "${app}" holds a manifest other than its record names`);
    const manifest = manifestMessage.decode(decodeSign1(contents.signedManifest).payload);
    await verifyModuleBytes(manifest, contents.module);
    return { slot: active, manifest, record, ...contents };
  }

  /** Copies the app's key-value file (or its absence) so a rollback can restore it. */
  async copyKv(app: string): Promise<void> {
    const kv = await readFileIfExists(this.kvPath(app));
    const copy = new Uint8Array(1 + (kv?.length ?? 0));
    if (kv !== undefined) {
      copy[0] = 1;
      copy.set(kv, 1);
    }
    await durableWrite(join(this.appDir(app), KV_COPY_FILE), copy, this.crash);
  }

  /** Puts the copied key-value file back (removing the file when there was none); false when there is no copy. */
  async restoreKv(app: string): Promise<boolean> {
    const copy = await readFileIfExists(join(this.appDir(app), KV_COPY_FILE));
    if (copy === undefined || copy.length === 0) return false;
    if (copy[0] === 1) await durableWrite(this.kvPath(app), copy.subarray(1), this.crash);
    else await durableRemove(this.kvPath(app), this.crash);
    return true;
  }

  async dropKvCopy(app: string): Promise<void> {
    await durableRemove(join(this.appDir(app), KV_COPY_FILE), this.crash);
  }

  /** Removes temp files a crash left behind in the store's own folders; none of them was ever in use. */
  async removeStrayTemps(): Promise<number> {
    let removed = 0;
    const sweep = async (dir: string, only?: RegExp): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return;
      }
      for (const n of names) {
        if (/^\..*\.[0-9a-f]{12}\.tmp$/.test(n) && (only === undefined || only.test(n))) {
          await rm(join(dir, n), { force: true });
          removed++;
        }
      }
    };
    await sweep(this.dataDir, /^\.update-state\.json\./);
    let apps: string[] = [];
    try {
      apps = await readdir(join(this.dataDir, APPS_DIR));
    } catch {
      // no app was ever installed
    }
    for (const app of apps) {
      await sweep(this.appDir(app));
      for (const s of ['a', 'b'] as const) await sweep(this.slotDir(app, s));
    }
    return removed;
  }
}
