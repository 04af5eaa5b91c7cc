// `fleetlet trust`: makes trust updates (init, rotate), adds root signatures one holder at a time (sign), and installs
// them into a device data directory (provision, apply).

import { decodeTrustUpdate, encodeTrustUpdate, type TrustedKey, type TrustUpdate } from '../../schemas/messages/trust-update.ts';
import { SchemaError } from '../../schemas/schema/index.ts';
import { addSignature, decodeSign, signSign } from '../update/cose.ts';
import { UpdateRejected } from '../update/rejection.ts';
import { TrustStore } from '../update/trust-store.ts';
import { nowSeconds, parseCount, parseDuration, parseInstant } from './_args.ts';
import { decodeFile, readInput, writeOutput } from './_files.ts';
import { CliError, EXIT } from './errors.ts';
import { readPublicKeyFile, readSecretKeyFile, type SecretKeyFile } from './key-file.ts';

/** Window options shared by init and rotate. */
export interface WindowOptions {
  /** Trust update lifetime ("365d"). */
  readonly expiresIn: string;
  /** Lifetime of keys added now ("730d"). */
  readonly keyValidFor: string;
  /** Start of added keys' windows (default 0: valid from the start, so devices whose clock lags still accept them). */
  readonly keyNotBefore?: string;
}

export interface InitOptions extends WindowOptions {
  readonly key: readonly string[];
  readonly threshold: string;
  readonly sequence?: string;
  readonly sign?: readonly string[];
  readonly out: string;
}

export interface RotateOptions extends WindowOptions {
  readonly from: string;
  readonly addKey?: readonly string[];
  readonly removeKey?: readonly string[];
  readonly revoke?: readonly string[];
  readonly threshold?: string;
  readonly sign?: readonly string[];
  readonly out: string;
}

function checked(update: TrustUpdate, what: string): Uint8Array {
  try {
    return encodeTrustUpdate(update);
  } catch (e) {
    if (e instanceof SchemaError) throw new CliError(`Cannot make ${what}: ${e.message}`);
    throw e;
  }
}

async function signers(files: readonly string[] | undefined): Promise<SecretKeyFile[]> {
  const keys = await Promise.all((files ?? []).map(readSecretKeyFile));
  for (const k of keys) {
    if (k.role !== 'root') throw new CliError(`Cannot sign a trust update with "${k.id}": it is a ${k.role} key; trust updates are signed by root keys`);
  }
  return keys;
}

async function addedKeys(files: readonly string[], w: WindowOptions, now: number): Promise<TrustedKey[]> {
  const notBefore = w.keyNotBefore === undefined ? 0 : parseInstant(w.keyNotBefore, '--key-not-before');
  const notAfter = now + parseDuration(w.keyValidFor, '--key-valid-for');
  const keys = await Promise.all(files.map(readPublicKeyFile));
  return keys.map((k) => ({ id: k.id, publicKey: k.publicKey, role: k.role, notBefore, notAfter }));
}

/** One line on where a trust update's signatures stand against its own roots. */
export function signatureStatus(update: TrustUpdate, kids: readonly string[]): string {
  const roots = new Set(update.keys.filter((k) => k.role === 'root').map((k) => k.id));
  const own = kids.filter((k) => roots.has(k)).length;
  const names = kids.length === 0 ? 'none' : kids.join(', ');
  return `signatures: ${names} (${own} by its own roots, ${update.rootThreshold} needed; a rotation also needs a threshold of the roots it replaces)`;
}

function summary(update: TrustUpdate, out: string, kids: readonly string[]): string[] {
  const byRole = (r: string): string => update.keys.filter((k) => k.role === r).map((k) => k.id).join(', ') || 'none';
  return [
    `trust update ${update.sequence} written to ${out}`,
    `roots: ${byRole('root')} (threshold ${update.rootThreshold})`,
    `module signers: ${byRole('module-signer')}`,
    `state signers: ${byRole('state-signer')}`,
    ...(update.revoked.length > 0 ? [`revoked: ${update.revoked.join(', ')}`] : []),
    signatureStatus(update, kids),
  ];
}

/**
 * `trust init`: the first trust update of a fleet, optionally signed at once.
 * @throws CliError
 */
export async function trustInit(o: InitOptions): Promise<string[]> {
  const now = nowSeconds();
  const keys = await addedKeys(o.key, o, now);
  const update: TrustUpdate = {
    v: 1,
    sequence: o.sequence === undefined ? 1 : parseCount(o.sequence, '--sequence', 1),
    issuedAt: now,
    expiresAt: now + parseDuration(o.expiresIn, '--expires-in'),
    rootThreshold: parseCount(o.threshold, '--threshold', 1),
    keys,
    revoked: [],
  };
  const bytes = signSign(checked(update, 'the trust update'), (await signers(o.sign)).map((k) => ({ kid: k.id, seed: k.seed })));
  await writeOutput(o.out, bytes);
  return summary(update, o.out, (o.sign ?? []).length > 0 ? decodeSign(bytes).signatures.map((s) => s.kid) : []);
}

/** Reads a trust update file, signed or not yet. */
export async function readTrustFile(file: string): Promise<{ bytes: Uint8Array; update: TrustUpdate; kids: string[] }> {
  const bytes = await readInput(file, 'trust update');
  const msg = decodeFile(file, 'trust update', () => decodeSign(bytes, { allowUnsigned: true, what: 'trust update' }));
  const update = decodeFile(file, 'trust update', () => decodeTrustUpdate(msg.payload));
  return { bytes, update, kids: msg.signatures.map((s) => s.kid) };
}

/**
 * `trust sign`: adds signatures by root keys to a trust update (each key once).
 * @throws CliError
 */
export async function trustSign(file: string, o: { key: readonly string[]; out?: string }): Promise<string[]> {
  const t = await readTrustFile(file);
  let bytes = t.bytes;
  for (const k of await signers(o.key)) {
    if (t.kids.includes(k.id)) throw new CliError(`Cannot sign "${file}" with "${k.id}": that key already signed it`);
    const listed = t.update.keys.find((x) => x.id === k.id);
    if (listed !== undefined && Buffer.compare(Buffer.from(listed.publicKey), Buffer.from(k.publicKey)) !== 0) {
      throw new CliError(`Cannot sign "${file}" with "${k.id}": the update lists another public key under that id`);
    }
    bytes = addSignature(bytes, { kid: k.id, seed: k.seed });
    t.kids.push(k.id);
  }
  const out = o.out ?? file;
  await writeOutput(out, bytes);
  return [`signed ${out}`, signatureStatus(t.update, t.kids)];
}

/**
 * `trust rotate`: the next trust update from the current one (sequence + 1): keys added, removed or revoked, a new
 * threshold. Kept keys keep their windows.
 * @throws CliError
 */
export async function trustRotate(o: RotateOptions): Promise<string[]> {
  const now = nowSeconds();
  const cur = (await readTrustFile(o.from)).update;
  const remove = new Set([...(o.removeKey ?? []), ...(o.revoke ?? [])]);
  for (const id of remove) {
    if (!cur.keys.some((k) => k.id === id) && !(o.revoke ?? []).includes(id)) throw new CliError(`Cannot remove key "${id}": "${o.from}" does not list it`, EXIT.usage);
  }
  const added = await addedKeys(o.addKey ?? [], o, now);
  const update: TrustUpdate = {
    v: 1,
    sequence: cur.sequence + 1,
    issuedAt: now,
    expiresAt: now + parseDuration(o.expiresIn, '--expires-in'),
    rootThreshold: o.threshold === undefined ? cur.rootThreshold : parseCount(o.threshold, '--threshold', 1),
    keys: [...cur.keys.filter((k) => !remove.has(k.id)), ...added],
    revoked: [...new Set([...cur.revoked, ...(o.revoke ?? [])])],
  };
  const signed = await signers(o.sign);
  await writeOutput(o.out, signSign(checked(update, 'the trust update'), signed.map((k) => ({ kid: k.id, seed: k.seed }))));
  return summary(update, o.out, signed.map((k) => k.id));
}

function rejected(file: string, e: unknown): never {
  if (e instanceof UpdateRejected) throw new CliError(`Rejected trust update "${file}": ${e.message} (${e.code})`);
  throw e;
}

/**
 * `trust provision`: installs the first trust of a device data directory.
 * @throws CliError
 */
export async function trustProvision(file: string, o: { dataDir: string }): Promise<string[]> {
  const bytes = await readInput(file, 'trust update');
  const store = await openStore(o.dataDir);
  if (store.trust !== undefined) throw new CliError(`Cannot provision "${o.dataDir}": it already holds trust update ${store.trust.update.sequence} (use "fleetlet trust apply")`);
  const u = await store.provision(bytes).catch((e: unknown) => rejected(file, e));
  return [`provisioned ${o.dataDir} with trust update ${u.sequence} (${u.keys.length} keys)`];
}

/**
 * `trust apply`: applies a trust update to a provisioned device data directory.
 * @throws CliError
 */
export async function trustApply(file: string, o: { dataDir: string }): Promise<string[]> {
  const bytes = await readInput(file, 'trust update');
  const store = await openStore(o.dataDir);
  const u = await store.applyTrustUpdate(bytes).catch((e: unknown) => rejected(file, e));
  return [`applied trust update ${u.sequence} to ${o.dataDir}`];
}

/**
 * Opens a device data directory's trust store at the CLI's clock.
 * @throws CliError when its files are corrupt
 */
export async function openStore(dataDir: string, clock: () => number = nowSeconds): Promise<TrustStore> {
  try {
    return await TrustStore.open(dataDir, { clock });
  } catch (e) {
    if (e instanceof Error && (e.name === 'TrustCorrupt' || e.name === 'FloorsCorrupt')) throw new CliError(e.message);
    throw new CliError(`Cannot open data directory "${dataDir}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
