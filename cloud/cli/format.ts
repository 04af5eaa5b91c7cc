// How the cloud commands of the `fleetlet` CLI print: aligned text tables, times, sizes, and the per-wave progress
// bar of a rollout (`wave 2/4 [#######.....] 7/12 good, 1 failed`).

import type { RolloutView } from '../service/ops.ts';

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** UTC, to the second: 2026-11-25 17:55:48. */
export function time(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export const short = (digest: string): string => digest.slice(0, 12);

/** `[#######.....]`: done of total in `width` cells. */
export function bar(done: number, total: number, width = 12): string {
  const filled = total <= 0 ? 0 : Math.min(width, Math.floor((done / total) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** One wave's line: `wave 2/4 [#######.....] 7/12 good, 1 failed`. */
export function waveLine(v: RolloutView, index: number): string {
  const w = v.waves[index];
  if (w === undefined) return `wave -/${v.waves.length}`;
  const done = w.counts.good + w.counts.failed;
  return `wave ${index + 1}/${v.waves.length} ${bar(done, w.size)} ${w.counts.good}/${w.size} good, ${w.counts.failed} failed`;
}

/** The line a watch shows: the wave in progress, and the state when it is not simply running. */
export function progressLine(v: RolloutView): string {
  if (v.wave < 0) return `${v.id}: ${v.state}, ${v.waves.length} waves of ${v.waves.map((w) => w.size).join(', ')}, not started`;
  const line = waveLine(v, v.wave);
  return v.state === 'running' ? line : `${line} (${v.state})`;
}

/** States a rollout does not leave by itself: a watch stops there. */
export const SETTLED: ReadonlySet<string> = new Set(['completed', 'halted', 'aborted', 'rolled-back']);
