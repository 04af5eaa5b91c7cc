// Human-readable rendering of manifests, desired states and trust updates for `fleetlet inspect` and `verify`.

import type { DesiredState } from '../../schemas/messages/desired-state.ts';
import type { Manifest } from '../../schemas/messages/manifest.ts';
import type { TrustUpdate } from '../../schemas/messages/trust-update.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** An instant as ISO 8601 UTC, with the raw seconds. */
export function instant(seconds: number): string {
  const ms = seconds * 1000;
  return Number.isFinite(ms) && ms <= 8.64e15 ? `${new Date(ms).toISOString().replace('.000Z', 'Z')} (${seconds})` : String(seconds);
}

function bytesText(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function table(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`);
}

export function manifestLines(m: Manifest): string[] {
  const l = m.limits;
  return [
    'manifest',
    ...table([
      ['name', m.name],
      ['version', m.version],
      ['sequence', String(m.sequence)],
      ['kind', m.kind],
      ['module', `${m.size} bytes, sha256 ${hex(m.digest)}`],
      ['targets', m.targets.join(', ')],
      ['issued', instant(m.issuedAt)],
      ['expires', instant(m.expiresAt)],
    ]),
    'capabilities',
    ...(m.capabilities.length === 0 ? ['  (none)'] : m.capabilities.map((c) => `  ${c}`)),
    'limits',
    ...table([
      ['memory', `${l.maxMemoryPages} pages (${bytesText(l.maxMemoryPages * 65536)})`],
      ['table', `${l.maxTableElements} elements`],
      ['call depth', String(l.maxCallDepth)],
      ['stack', `${l.maxStackSlots} slots`],
      ['fuel per tick', String(l.fuelPerTick)],
      ['host calls', `${l.hostCallsPerSecond} per second`],
      ['tick period', `${l.tickPeriodMs} ms`],
    ]),
  ];
}

export function desiredStateLines(d: DesiredState): string[] {
  return [
    'desired state',
    ...table([
      ['device', d.deviceId],
      ['sequence', String(d.sequence)],
      ['issued', instant(d.issuedAt)],
      ['expires', instant(d.expiresAt)],
    ]),
    'modules',
    ...(d.modules.length === 0
      ? ['  (none)']
      : d.modules.flatMap((m) => [
        `  ${m.name}  manifest sha256 ${hex(m.manifestDigest)}`,
        ...Object.entries(m.settings).map(([k, v]) => `    ${k}=${JSON.stringify(v)}`),
      ])),
  ];
}

export function trustUpdateLines(t: TrustUpdate): string[] {
  return [
    'trust update',
    ...table([
      ['sequence', String(t.sequence)],
      ['issued', instant(t.issuedAt)],
      ['expires', instant(t.expiresAt)],
      ['root threshold', String(t.rootThreshold)],
      ['revoked', t.revoked.length === 0 ? '(none)' : t.revoked.join(', ')],
    ]),
    'keys',
    ...table(t.keys.map((k) => [k.id, `${k.role.padEnd(13)} ${hex(k.publicKey)}  valid ${instant(k.notBefore)} to ${instant(k.notAfter)}`] as const)),
  ];
}
