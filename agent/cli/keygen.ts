// `fleetlet keygen`: makes an Ed25519 key for one role and writes `ID.key` and `ID.pub` with mode 0600.

import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { keyRole, type KeyRole } from '../../schemas/messages/trust-update.ts';
import { KEY_ID_PATTERN, matchesWhole } from '../../schemas/names.ts';
import { generateKeyPair } from '../update/ed25519.ts';
import { CliError, EXIT } from './errors.ts';
import { defaultKeyId, publicKeyJson, secretKeyJson } from './key-file.ts';

export interface KeygenOptions {
  readonly role: string;
  readonly out: string;
  readonly id?: string;
  readonly force?: boolean;
}

export const ROLES: readonly KeyRole[] = keyRole.values as readonly KeyRole[];

/** Writes a file that must not exist yet (unless `force`), mode 0600 from its creation on. */
async function writeNew(path: string, text: string, force: boolean): Promise<void> {
  let fh;
  try {
    fh = await open(path, force ? 'w' : 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`Cannot write "${path}": the file exists (use --force to replace it)`);
    throw new CliError(`Cannot write "${path}": ${code ?? (e as Error).message}`);
  }
  try {
    await fh.chmod(0o600);
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Makes a key pair and writes it; returns the lines to print (the public key among them).
 * @throws CliError for a bad role or id, or a file that cannot be written
 */
export async function keygen(o: KeygenOptions): Promise<string[]> {
  if (!(ROLES as readonly string[]).includes(o.role)) throw new CliError(`Invalid --role "${o.role}": expected one of ${ROLES.join(', ')}`, EXIT.usage);
  const role = o.role as KeyRole;
  const kp = generateKeyPair();
  const id = o.id ?? defaultKeyId(role, kp.publicKey);
  if (!matchesWhole(KEY_ID_PATTERN, id)) throw new CliError(`Invalid --id "${id}": expected letters, digits, ".", "_", ":", "-" (at most 64, starting with a letter or digit)`, EXIT.usage);
  try {
    await mkdir(o.out, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`Cannot create "${o.out}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const secretPath = join(o.out, `${id}.key`);
  const publicPath = join(o.out, `${id}.pub`);
  const key = { id, role, publicKey: kp.publicKey, seed: kp.seed };
  await writeNew(secretPath, secretKeyJson(key), o.force === true);
  await writeNew(publicPath, publicKeyJson(key), o.force === true);
  return [
    `${role} key "${id}"`,
    `public key  ${Buffer.from(kp.publicKey).toString('hex')}`,
    `secret key  ${secretPath} (mode 0600: keep it offline${role === 'state-signer' ? ', or in the cloud service only' : ''})`,
    `public file ${publicPath}`,
  ];
}
