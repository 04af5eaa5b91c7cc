// The persisted outcome of enrollment in `<dataDir>/identity/`: `credentials.json` (the broker username and password,
// mode 0600) and `enrollment.json`, written last, which is the commit point: a device that has it never enrolls again.

import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../update/atomic-file.ts';
import { EnrollmentError } from './errors.ts';

/** File names below the identity folder (a wire format: never rename). */
export const CREDENTIALS_FILE = 'credentials.json';
export const ENROLLMENT_FILE = 'enrollment.json';

/** What the device logs in to the broker with. */
export interface BrokerCredentials {
  readonly username: string;
  readonly password: string;
}

/** A finished enrollment. */
export interface EnrollmentResult {
  readonly deviceId: string;
  /** Absent when the cloud issues no credentials (a broker with its own logins). */
  readonly credentials?: BrokerCredentials;
  /** The sequence of the trust update the device started from. */
  readonly trustSequence: number;
  readonly enrolledAtMs: number;
  /** True when this call enrolled; false when the persisted enrollment was loaded. */
  readonly fresh: boolean;
}

interface EnrollmentRecord {
  readonly v: 1;
  readonly state: 'enrolled';
  readonly deviceId: string;
  readonly trustSequence: number;
  readonly enrolledAtMs: number;
  readonly hasCredentials: boolean;
}

function parseJson(bytes: Uint8Array, path: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new EnrollmentError('corrupt', `Cannot read "${path}": it is not a JSON object`);
}

const json = (v: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

/**
 * Loads the persisted enrollment of an identity folder, or undefined when the device has not enrolled.
 * @throws EnrollmentError 'corrupt' when a file exists but cannot be read back; file system errors
 */
export async function loadEnrollment(identityDir: string): Promise<EnrollmentResult | undefined> {
  const path = join(identityDir, ENROLLMENT_FILE);
  const bytes = await readFileIfExists(path);
  if (bytes === undefined) return undefined;
  const r = parseJson(bytes, path);
  if (r['v'] !== 1 || r['state'] !== 'enrolled' || typeof r['deviceId'] !== 'string' || typeof r['trustSequence'] !== 'number' || typeof r['enrolledAtMs'] !== 'number' || typeof r['hasCredentials'] !== 'boolean') {
    throw new EnrollmentError('corrupt', `Cannot read "${path}": it is not a version 1 enrollment record`);
  }
  const base = { deviceId: r['deviceId'], trustSequence: r['trustSequence'], enrolledAtMs: r['enrolledAtMs'], fresh: false };
  if (!r['hasCredentials']) return base;
  const cpath = join(identityDir, CREDENTIALS_FILE);
  const cbytes = await readFileIfExists(cpath);
  if (cbytes === undefined) throw new EnrollmentError('corrupt', `Cannot load the broker credentials: "${cpath}" is missing though "${path}" records them`);
  const c = parseJson(cbytes, cpath);
  if (c['v'] !== 1 || typeof c['username'] !== 'string' || typeof c['password'] !== 'string') throw new EnrollmentError('corrupt', `Cannot read "${cpath}": it is not a version 1 credentials record`);
  return { ...base, credentials: { username: c['username'], password: c['password'] } };
}

/** Persists an enrollment: the credentials first, then the record that commits it. */
export async function saveEnrollment(identityDir: string, result: Omit<EnrollmentResult, 'fresh'>): Promise<void> {
  if (result.credentials !== undefined) {
    await writeFileAtomic(join(identityDir, CREDENTIALS_FILE), json({ v: 1, ...result.credentials }), { mode: 0o600 });
  }
  const record: EnrollmentRecord = { v: 1, state: 'enrolled', deviceId: result.deviceId, trustSequence: result.trustSequence, enrolledAtMs: result.enrolledAtMs, hasCredentials: result.credentials !== undefined };
  await writeFileAtomic(join(identityDir, ENROLLMENT_FILE), json(record), { mode: 0o600 });
}
