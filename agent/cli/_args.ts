// Parsing of `fleetlet` option values: durations ("90d"), instants (seconds or ISO dates), counts.

import { CliError, EXIT } from './errors.ts';

const UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, y: 365 * 86_400 };

/**
 * A duration in seconds: "3600", "90s", "30m", "12h", "90d", "2y".
 * @throws CliError (usage) for anything else
 */
export function parseDuration(text: string, option: string): number {
  const m = /^([0-9]{1,9})([smhdy]?)$/.exec(text.trim());
  if (m === null) throw new CliError(`Invalid ${option} "${text}": expected a duration such as "90d", "12h" or "3600"`, EXIT.usage);
  return Number(m[1]) * UNIT[m[2] === '' ? 's' : m[2]!]!;
}

/**
 * An instant in seconds since the epoch: an integer, or an ISO 8601 date ("2027-01-15", "2027-01-15T12:00:00Z").
 * @throws CliError (usage) for anything else
 */
export function parseInstant(text: string, option: string): number {
  if (/^[0-9]{1,12}$/.test(text)) return Number(text);
  const ms = /^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new CliError(`Invalid ${option} "${text}": expected seconds since 1970 or an ISO date such as "2027-01-15"`, EXIT.usage);
  return Math.floor(ms / 1000);
}

/**
 * A non-negative integer (a sequence, a threshold).
 * @throws CliError (usage) for anything else
 */
export function parseCount(text: string, option: string, min = 0): number {
  if (!/^[0-9]{1,15}$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new CliError(`Invalid ${option} "${text}": expected an integer of at least ${min}`, EXIT.usage);
  }
  return Number(text);
}

/** Seconds since the epoch now (`FLEETLET_NOW` overrides it, for tests and reproducible examples). */
export function nowSeconds(): number {
  const fixed = process.env['FLEETLET_NOW'];
  if (fixed !== undefined && fixed !== '') return parseInstant(fixed, 'FLEETLET_NOW');
  return Math.floor(Date.now() / 1000);
}
