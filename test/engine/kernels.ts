// The bench kernels as test fixtures: where ../shared/bench is, which kernels, and their small n.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KERNELS = ['fib', 'sieve', 'matmul_f64', 'sha256', 'crc32', 'quicksort'] as const;

/** `FLEETLET_BENCH_DIR`, or ../shared/bench beside the repository. */
export function benchDir(): string {
  return process.env.FLEETLET_BENCH_DIR ?? resolve(fileURLToPath(import.meta.url), '../../../../shared/bench');
}

interface KernelInfo { readonly small_n: number; readonly small_checksum: string }

export function kernelInfo(k: string): KernelInfo {
  const all = JSON.parse(readFileSync(join(benchDir(), 'kernels', 'checksums.json'), 'utf8')) as Record<string, KernelInfo>;
  const info = all[k];
  if (info === undefined) throw new Error(`No kernel "${k}" in checksums.json`);
  return info;
}

/** A small n per kernel, so that a test runs each in well under a second on the interpreter. */
export function smallN(k: string): number {
  return k === 'fib' ? 20 : k === 'sieve' ? 1 : k === 'matmul_f64' ? 5 : k === 'sha256' ? 2 : k === 'crc32' ? 5 : 5;
}
