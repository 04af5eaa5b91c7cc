// DeviceIdentityStore: keys made once with private modes, reused on later starts, damaged or foreign files refused.

import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { BOX_KEY_FILE, DeviceIdentityStore, IDENTITY_FILE, IdentityError, SIGNING_KEY_FILE } from '../../../agent/identity/index.ts';
import { verify } from '../../../agent/update/ed25519.ts';
import { removeDir, tempDir } from '../../trust/fixtures.ts';

const WHO = { deviceId: 'dev-001', deviceClass: 'rpi4' };
const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const d = await tempDir('fleetlet-identity-');
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeDir(d);
});

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

async function expectIdentityError(p: Promise<unknown>, code: string): Promise<IdentityError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(IdentityError);
  expect((e as IdentityError).code).toBe(code);
  return e as IdentityError;
}

describe('DeviceIdentityStore.open', () => {
  it('makes the keys on first start: a 0700 directory and 0600 key files', async () => {
    const d = await dataDir();
    const id = await DeviceIdentityStore.open(d, WHO);
    expect(id.created).toBe(true);
    expect(id.warnings).toEqual([]);
    expect(await mode(id.dir)).toBe(0o700);
    expect(await mode(join(id.dir, SIGNING_KEY_FILE))).toBe(0o600);
    expect(await mode(join(id.dir, BOX_KEY_FILE))).toBe(0o600);
    const record = JSON.parse(await readFile(join(id.dir, IDENTITY_FILE), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ v: 1, deviceId: 'dev-001', deviceClass: 'rpi4', publicKey: Buffer.from(id.publicKey).toString('hex'), boxKey: Buffer.from(id.boxPublicKey).toString('hex') });
  });

  it('loads the same keys on a later start', async () => {
    const d = await dataDir();
    const first = await DeviceIdentityStore.open(d, WHO);
    const again = await DeviceIdentityStore.open(d, WHO);
    expect(again.created).toBe(false);
    expect(again.publicKey).toEqual(first.publicKey);
    expect(again.boxPublicKey).toEqual(first.boxPublicKey);
    const sig = again.sign(new TextEncoder().encode('hello'));
    expect(verify(new TextEncoder().encode('hello'), sig, first.publicKey)).toBe('ok');
  });

  it('gives each data directory its own keys', async () => {
    const a = await DeviceIdentityStore.open(await dataDir(), WHO);
    const b = await DeviceIdentityStore.open(await dataDir(), WHO);
    expect(a.publicKey).not.toEqual(b.publicKey);
    expect(a.boxPublicKey).not.toEqual(b.boxPublicKey);
  });

  it('opens what was sealed to its box key, and nothing sealed to another', async () => {
    const id = await DeviceIdentityStore.open(await dataDir(), WHO);
    const sender = nacl.box.keyPair();
    const nonce = nacl.randomBytes(24);
    const sealed = nacl.box(Uint8Array.of(1, 2, 3), nonce, id.boxPublicKey, sender.secretKey);
    expect(id.openSealed(sealed, nonce, sender.publicKey)).toEqual(Uint8Array.of(1, 2, 3));
    const other = nacl.box(Uint8Array.of(1, 2, 3), nonce, nacl.box.keyPair().publicKey, sender.secretKey);
    expect(id.openSealed(other, nonce, sender.publicKey)).toBeUndefined();
    expect(id.openSealed(sealed, nonce.subarray(1), sender.publicKey)).toBeUndefined();
  });

  it('sets a key file readable by others back to 0600 and reports it', async () => {
    const d = await dataDir();
    const first = await DeviceIdentityStore.open(d, WHO);
    const key = join(first.dir, SIGNING_KEY_FILE);
    await chmod(key, 0o644);
    const again = await DeviceIdentityStore.open(d, WHO);
    expect(await mode(key)).toBe(0o600);
    expect(again.warnings).toHaveLength(1);
    expect(again.warnings[0]).toMatchObject({ code: 'key-mode-fixed', path: key, foundMode: 0o644 });
    expect(again.publicKey).toEqual(first.publicKey);
  });

  it('sets an identity directory open to others back to 0700 and reports it', async () => {
    const d = await dataDir();
    const first = await DeviceIdentityStore.open(d, WHO);
    await chmod(first.dir, 0o755);
    const again = await DeviceIdentityStore.open(d, WHO);
    expect(await mode(first.dir)).toBe(0o700);
    expect(again.warnings.map((w) => w.code)).toEqual(['dir-mode-fixed']);
  });

  it.each([
    ['identity.json that is not JSON', IDENTITY_FILE, '{"v":1,'],
    ['identity.json of another version', IDENTITY_FILE, '{"v":2}'],
    ['a truncated signing key', SIGNING_KEY_FILE, 'short'],
    ['a box key of the wrong length', BOX_KEY_FILE, 'x'.repeat(33)],
  ])('refuses %s with a typed error naming the file', async (_what, file, content) => {
    const d = await dataDir();
    const first = await DeviceIdentityStore.open(d, WHO);
    await writeFile(join(first.dir, file), content);
    const e = await expectIdentityError(DeviceIdentityStore.open(d, WHO), 'corrupt');
    expect(e.path).toBe(join(first.dir, file));
    expect(e.message).toContain(join(first.dir, file));
  });

  it('refuses a signing key that is not the one identity.json records', async () => {
    const d = await dataDir();
    const first = await DeviceIdentityStore.open(d, WHO);
    await writeFile(join(first.dir, SIGNING_KEY_FILE), nacl.randomBytes(32));
    await expectIdentityError(DeviceIdentityStore.open(d, WHO), 'corrupt');
  });

  it('refuses a missing key file when identity.json exists', async () => {
    const d = await dataDir();
    const first = await DeviceIdentityStore.open(d, WHO);
    await rm(join(first.dir, BOX_KEY_FILE));
    await expectIdentityError(DeviceIdentityStore.open(d, WHO), 'corrupt');
  });

  it('makes new keys when a first start was cut short before identity.json (its commit point)', async () => {
    const d = await dataDir();
    const first = await DeviceIdentityStore.open(d, WHO);
    await rm(join(first.dir, IDENTITY_FILE));
    const again = await DeviceIdentityStore.open(d, WHO);
    expect(again.created).toBe(true);
    expect(again.publicKey).not.toEqual(first.publicKey);
    expect((await DeviceIdentityStore.open(d, WHO)).publicKey).toEqual(again.publicKey);
  });

  it('refuses a data directory that belongs to another device id or class', async () => {
    const d = await dataDir();
    await DeviceIdentityStore.open(d, WHO);
    await expectIdentityError(DeviceIdentityStore.open(d, { deviceId: 'dev-002', deviceClass: 'rpi4' }), 'device-id-mismatch');
    await expectIdentityError(DeviceIdentityStore.open(d, { deviceId: 'dev-001', deviceClass: 'sim' }), 'device-class-mismatch');
  });

  it('refuses device ids and classes outside the grammar before writing anything', async () => {
    const d = await dataDir();
    await expectIdentityError(DeviceIdentityStore.open(d, { deviceId: 'dev/1', deviceClass: 'rpi4' }), 'bad-device-id');
    await expectIdentityError(DeviceIdentityStore.open(d, { deviceId: 'dev-1', deviceClass: 'RPi4' }), 'bad-device-class');
  });
});
