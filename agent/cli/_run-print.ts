// How `fleetlet run` prints (private to agent/cli): time stamps, published payloads, and the
// summary of an app's report.

import type { AppReport } from '../host/index.ts';

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
