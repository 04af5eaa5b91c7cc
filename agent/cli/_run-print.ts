// How `fleetlet run` prints (private to agent/cli): time stamps, published payloads, host
// refusals grouped, and the summary of an app's report.

import type { AppReport, HostEvent } from '../host/index.ts';
import type { CliIo } from './main.ts';

/** "[   12.345s]": device time since the run started. */
export function stamp(ms: number): string {
  return `[${(Math.max(0, ms) / 1000).toFixed(3).padStart(9)}s]`;
}

const MAX_SHOWN = 200;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A payload as text when it is printable UTF-8 (cut after 200 characters), else its size and first bytes in hex. */
export function formatPayload(p: Uint8Array): string {
  let text: string | undefined;
  try {
    text = utf8.decode(p);
  } catch {
    text = undefined;
  }
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && !/[\u0000-\u001f\u007f]/.test(text)) return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}... (${p.length} bytes)` : text;
  const hex = Buffer.from(p.subarray(0, 32)).toString('hex');
  return `<${p.length} bytes: ${hex}${p.length > 32 ? '...' : ''}>`;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The summary lines of one app; `t0` is the clock time the run started at. */
export function formatReport(r: AppReport, elapsedMs: number, t0: number): string[] {
  const lines = [`--- ${r.name} (${r.kind}): ${r.state}${r.exitCode === undefined ? '' : `, exit code ${r.exitCode}`} after ${(elapsedMs / 1000).toFixed(3)} s`];
  if (r.kind === 'reactor') {
    lines.push(`  ticks: ${r.ticks} (${r.missedTicks} missed)`);
    lines.push(`  fuel per tick: last ${n(r.fuel.lastTick)}, max ${n(r.fuel.maxTick)}, mean ${n(r.fuel.meanTick)}; total ${n(r.fuel.total)}`);
  } else {
    lines.push(`  fuel: ${n(r.fuel.total)}`);
  }
  lines.push(`  memory: ${r.memory.pages} pages now, high-water ${r.memory.highWaterPages}, cap ${r.memory.capPages} (64 KiB pages)`);
  lines.push(`  traps: ${r.traps}, out of fuel: ${r.outOfFuel}, exhausted: ${r.exhausted}`);
  if (r.lastError !== undefined) {
    const e = r.lastError;
    lines.push(`  last error: ${e.reason}${e.kind === undefined ? '' : ` "${e.kind}"`} in ${e.phase} at ${((e.atMs - t0) / 1000).toFixed(3)} s: ${e.message}`);
  }
  const h = r.host;
  const calls = Object.entries(h.calls).map(([f, c]) => `${f} ${c}`).join(', ');
  lines.push(`  host calls: ${calls === '' ? 'none' : calls}`);
  lines.push(`  refused: denied ${h.denied}, rate-limited ${h.rateLimited}, over quota ${h.quotaRefused}, faults ${h.faults}, hardware errors ${h.hardwareErrors}`);
  lines.push(`  published: ${h.published} messages (${n(h.publishedBytes)} bytes); log: ${r.logLines} lines (${r.droppedLogLines} dropped); host memory high-water ${n(h.hostBytesHighWater)} bytes`);
  return lines;
}

/** The host event kind each refusal counter of HostStats counts. */
const COUNTED: readonly (readonly [keyof AppReport['host'] & ('denied' | 'rateLimited' | 'quotaRefused' | 'faults' | 'hardwareErrors'), HostEvent['kind']])[] = [
  ['denied', 'denied'],
  ['rateLimited', 'rate-limited'],
  ['quotaRefused', 'quota'],
  ['faults', 'fault'],
  ['hardwareErrors', 'hardware-error'],
];

/** Counts of an app's refusals so far, by event kind. */
export function refusals(r: AppReport): Map<HostEvent['kind'], number> {
  return new Map(COUNTED.map(([counter, kind]) => [kind, r.host[counter]]));
}

/**
 * Prints an app's new host events: each kind's run of the same function and detail as one line
 * with a count. The host keeps only its last events, so a flood prints as one line per kind.
 */
export function printHostEvents(io: CliIo, t0: number, app: string, r: AppReport, before: Map<HostEvent['kind'], number>): void {
  const now = refusals(r);
  for (const [kind, count] of now) {
    const fresh = count - (before.get(kind) ?? 0);
    if (fresh <= 0) continue;
    const kept = r.host.recent.filter((e) => e.kind === kind).slice(-fresh);
    const groups: { e: HostEvent; n: number }[] = [];
    for (const e of kept) {
      const last = groups.at(-1);
      if (last !== undefined && last.e.fn === e.fn && last.e.detail === e.detail) last.n++;
      else groups.push({ e, n: 1 });
    }
    const what = (e: HostEvent): string => `${e.fn}: ${e.detail}${e.kind === 'hardware-error' ? ` (${e.code})` : ''}`;
    if (kept.length === fresh) {
      for (const g of groups) io.err(`${stamp(g.e.atMs - t0)} ${app} ${kind} ${what(g.e)}${g.n > 1 ? ` (x${g.n})` : ''}`);
    } else {
      const last = kept.at(-1);
      const distinct = [...new Set(kept.map(what))];
      io.err(`${stamp((last?.atMs ?? t0) - t0)} ${app} ${kind} x${fresh}: ${distinct.join('; ')}`);
    }
  }
}
