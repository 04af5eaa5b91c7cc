// Key files of the `fleetlet` CLI: `ID.key` (secret: the Ed25519 seed) and `ID.pub` (public key, id and role), JSON,
// written with mode 0600.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { keyRole, type KeyRole } from '../../schemas/messages/trust-update.ts';
import { keyId } from '../../schemas/names.ts';
import { s, SchemaError } from '../../schemas/schema/index.ts';
import { checkPublicKey, keyPairFromSeed } from '../update/ed25519.ts';
import { CliError } from './errors.ts';

const hex64 = s.text({ maxBytes: 64, minBytes: 64, pattern: /[0-9a-f]{64}/, describe: '64 lowercase hex digits' });

const publicFileSchema = s.object({ fleetlet: s.literal('public-key'), v: s.literal(1), id: keyId, role: keyRole, publicKey: hex64 });
const secretFileSchema = s.object({ fleetlet: s.literal('secret-key'), v: s.literal(1), id: keyId, role: keyRole, publicKey: hex64, seed: hex64 });

export interface PublicKeyFile {
  readonly id: string;
  readonly role: KeyRole;
  readonly publicKey: Uint8Array;
}

export interface SecretKeyFile extends PublicKeyFile {
  readonly seed: Uint8Array;
}

const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A key id for a new key: its role and the first 8 hex digits of SHA-256 over the public key ("root-1a2b3c4d"). */
export function defaultKeyId(role: KeyRole, publicKey: Uint8Array): string {
  return `${role}-${createHash('sha256').update(publicKey).digest('hex').slice(0, 8)}`;
}

export function publicKeyJson(k: PublicKeyFile): string {
  return `${JSON.stringify({ fleetlet: 'public-key', v: 1, id: k.id, role: k.role, publicKey: toHex(k.publicKey) }, null, 2)}\n`;
}

export function secretKeyJson(k: SecretKeyFile): string {
  return `${JSON.stringify({ fleetlet: 'secret-key', v: 1, id: k.id, role: k.role, publicKey: toHex(k.publicKey), seed: toHex(k.seed) }, null, 2)}\n`;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read ${what} "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`Cannot read ${what} "${file}": it is not JSON (expected a file written by "fleetlet keygen")`);
  }
}

function checkSchema<T>(check: () => T, file: string, what: string): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof SchemaError) throw new CliError(`Cannot read ${what} "${file}": ${e.message}`);
    throw e;
  }
}

/**
 * Reads a public key file (a secret key file is accepted too: its public half is used).
 * @throws CliError naming the file and what is wrong
 */
export async function readPublicKeyFile(file: string): Promise<PublicKeyFile> {
  const json = await readJson(file, 'public key file');
  const isSecret = typeof json === 'object' && json !== null && (json as Record<string, unknown>)['fleetlet'] === 'secret-key';
  const k = isSecret
    ? checkSchema(() => secretFileSchema.check(json, 'key'), file, 'key file')
    : checkSchema(() => publicFileSchema.check(json, 'key'), file, 'public key file');
  const publicKey = fromHex(k.publicKey);
  const problem = checkPublicKey(publicKey);
  if (problem !== undefined) throw new CliError(`Cannot use public key file "${file}": the key is unusable (${problem})`);
  return { id: k.id, role: k.role, publicKey };
}

/**
 * Reads a secret key file and checks that its seed derives its public key.
 * @throws CliError naming the file and what is wrong
 */
export async function readSecretKeyFile(file: string): Promise<SecretKeyFile> {
  const json = await readJson(file, 'secret key file');
  const k = checkSchema(() => secretFileSchema.check(json, 'key'), file, 'secret key file');
  const seed = fromHex(k.seed);
  const derived = keyPairFromSeed(seed).publicKey;
  if (toHex(derived) !== k.publicKey) throw new CliError(`Cannot use secret key file "${file}": its seed does not match its public key`);
  return { id: k.id, role: k.role, publicKey: derived, seed };
}
