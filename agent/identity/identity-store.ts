// `DeviceIdentityStore`: the device's own keys and name in `<dataDir>/identity/`: an Ed25519 key pair (who the device
// is; it signs the enrollment request) and an X25519 box key pair (used only to open credentials sealed to the device),
// made once on first start and loaded on every later one.

import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { DEVICE_CLASS_PATTERN, DEVICE_ID_PATTERN, matchesWhole } from '../../schemas/names.ts';
import { readFileIfExists, writeFileAtomic } from '../update/atomic-file.ts';
import { keyPairFromSeed, sign as edSign } from '../update/ed25519.ts';
import { IdentityError, type IdentityWarning } from './errors.ts';

/** Folder of the identity files below the data directory (a wire format: never rename). */
export const IDENTITY_DIR = 'identity';
/** File names (a wire format: never rename). */
export const IDENTITY_FILE = 'identity.json';
export const SIGNING_KEY_FILE = 'device.key';
export const BOX_KEY_FILE = 'box.key';

const KEY_MODE = 0o600;
const DIR_MODE = 0o700;

/** Who the device says it is (from the agent's config). */
export interface IdentityOptions {
  readonly deviceId: string;
  readonly deviceClass: string;
}

interface IdentityRecord {
  readonly v: 1;
  readonly deviceId: string;
  readonly deviceClass: string;
  /** Hex of the Ed25519 public key. */
  readonly publicKey: string;
  /** Hex of the X25519 public key. */
  readonly boxKey: string;
  readonly createdAtMs: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function parseRecord(bytes: Uint8Array, path: string): IdentityRecord {
  let r: unknown;
  try {
    r = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new IdentityError('corrupt', path, `Cannot read "${path}": it is not JSON (${(e as Error).message})`);
  }
  const o = r as Record<string, unknown>;
  const isHexKey = (x: unknown): boolean => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);
  const fine = typeof r === 'object' && r !== null && o['v'] === 1 && typeof o['deviceId'] === 'string' && typeof o['deviceClass'] === 'string'
    && isHexKey(o['publicKey']) && isHexKey(o['boxKey']) && typeof o['createdAtMs'] === 'number';
  if (!fine) throw new IdentityError('corrupt', path, `Cannot read "${path}": it is not a version 1 identity record (v, deviceId, deviceClass, publicKey, boxKey, createdAtMs)`);
  return r as IdentityRecord;
}

async function fixMode(path: string, wanted: number, code: IdentityWarning['code'], warnings: IdentityWarning[]): Promise<void> {
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  await chmod(path, wanted);
  warnings.push({ code, path, foundMode: mode, message: `"${path}" was readable by others (mode ${mode.toString(8)}); set to ${wanted.toString(8)}` });
}

async function readKey(path: string): Promise<Uint8Array> {
  const bytes = await readFileIfExists(path);
  if (bytes === undefined) throw new IdentityError('corrupt', path, `Cannot load the device identity: "${path}" is missing`);
  if (bytes.length !== 32) throw new IdentityError('corrupt', path, `Cannot load the device identity: "${path}" holds ${bytes.length} bytes, not 32`);
  return bytes;
}

export class DeviceIdentityStore {
  private constructor(
    /** `<dataDir>/identity` */
    readonly dir: string,
    readonly deviceId: string,
    readonly deviceClass: string,
    /** The Ed25519 public key the device enrolls with. */
    readonly publicKey: Uint8Array,
    /** The X25519 public key credentials are sealed to. */
    readonly boxPublicKey: Uint8Array,
    private readonly seed: Uint8Array,
    private readonly boxSecret: Uint8Array,
    /** True when this start made the keys (first start). */
    readonly created: boolean,
    /** What was repaired while loading (file modes). */
    readonly warnings: readonly IdentityWarning[],
  ) {}

  /**
   * Loads the identity of a data directory, or makes it on first start. The key files are written (mode 0600, in a
   * 0700 directory, atomically) before `identity.json`, which is the commit point: keys without it are the leftovers of
   * a first start cut short and are made again. A key file or directory readable by others is fixed and reported in
   * `warnings`.
   * @throws IdentityError 'bad-device-id' / 'bad-device-class' for names outside the grammar; 'corrupt' when a file is
   *   damaged or the keys do not match the record; 'device-id-mismatch' / 'device-class-mismatch' when the data
   *   directory belongs to another device than the one configured; file system errors
   */
  static async open(dataDir: string, options: IdentityOptions): Promise<DeviceIdentityStore> {
    const dir = join(dataDir, IDENTITY_DIR);
    if (!matchesWhole(DEVICE_ID_PATTERN, options.deviceId)) throw new IdentityError('bad-device-id', dir, `Cannot use device id "${options.deviceId}": 1 to 64 letters, digits, ".", "_", ":", "-"`);
    if (!matchesWhole(DEVICE_CLASS_PATTERN, options.deviceClass)) throw new IdentityError('bad-device-class', dir, `Cannot use device class "${options.deviceClass}": 1 to 64 lowercase letters, digits, ".", "_", "-"`);
    const warnings: IdentityWarning[] = [];
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    await fixMode(dir, DIR_MODE, 'dir-mode-fixed', warnings);
    const recordPath = join(dir, IDENTITY_FILE);
    const seedPath = join(dir, SIGNING_KEY_FILE);
    const boxPath = join(dir, BOX_KEY_FILE);
    const bytes = await readFileIfExists(recordPath);
    if (bytes === undefined) {
      const seed = nacl.randomBytes(32);
      const box = nacl.box.keyPair();
      await writeFileAtomic(seedPath, seed, { mode: KEY_MODE });
      await writeFileAtomic(boxPath, box.secretKey, { mode: KEY_MODE });
      const publicKey = keyPairFromSeed(seed).publicKey;
      const record: IdentityRecord = { v: 1, deviceId: options.deviceId, deviceClass: options.deviceClass, publicKey: hex(publicKey), boxKey: hex(box.publicKey), createdAtMs: Date.now() };
      await writeFileAtomic(recordPath, new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`), { mode: KEY_MODE });
      return new DeviceIdentityStore(dir, options.deviceId, options.deviceClass, publicKey, box.publicKey, seed, box.secretKey, true, warnings);
    }
    const record = parseRecord(bytes, recordPath);
    if (record.deviceId !== options.deviceId) {
      throw new IdentityError('device-id-mismatch', recordPath, `Cannot start as device "${options.deviceId}": "${recordPath}" belongs to device "${record.deviceId}" (use another data directory)`);
    }
    if (record.deviceClass !== options.deviceClass) {
      throw new IdentityError('device-class-mismatch', recordPath, `Cannot start as class "${options.deviceClass}": "${recordPath}" records class "${record.deviceClass}"`);
    }
    const seed = await readKey(seedPath);
    const boxSecret = await readKey(boxPath);
    await fixMode(seedPath, KEY_MODE, 'key-mode-fixed', warnings);
    await fixMode(boxPath, KEY_MODE, 'key-mode-fixed', warnings);
    const publicKey = keyPairFromSeed(seed).publicKey;
    const boxPublicKey = nacl.box.keyPair.fromSecretKey(boxSecret).publicKey;
    if (hex(publicKey) !== record.publicKey) throw new IdentityError('corrupt', seedPath, `Cannot load the device identity: "${seedPath}" does not hold the key recorded in "${recordPath}"`);
    if (hex(boxPublicKey) !== record.boxKey) throw new IdentityError('corrupt', boxPath, `Cannot load the device identity: "${boxPath}" does not hold the key recorded in "${recordPath}"`);
    return new DeviceIdentityStore(dir, record.deviceId, record.deviceClass, publicKey, boxPublicKey, seed, boxSecret, false, warnings);
  }

  /** Signs `message` with the device's Ed25519 key. */
  sign(message: Uint8Array): Uint8Array {
    return edSign(message, this.seed);
  }

  /** Opens a nacl.box sealed to the device's box key by `senderBoxKey`; undefined when it does not authenticate. */
  openSealed(sealed: Uint8Array, nonce: Uint8Array, senderBoxKey: Uint8Array): Uint8Array | undefined {
    if (nonce.length !== nacl.box.nonceLength || senderBoxKey.length !== nacl.box.publicKeyLength) return undefined;
    return nacl.box.open(Uint8Array.from(sealed), Uint8Array.from(nonce), Uint8Array.from(senderBoxKey), this.boxSecret) ?? undefined;
  }
}
