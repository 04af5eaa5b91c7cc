// Test helper: assembles WebAssembly text with WABT's wat2wasm (a test-time dependency of fleetlet).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The binary of a text module.
 * @throws Error when wat2wasm cannot run or rejects the text
 */
export function wat(text: string, flags: readonly string[] = []): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlet-wat-'));
  try {
    writeFileSync(join(dir, 'm.wat'), text);
    const r = spawnSync('wat2wasm', [...flags, join(dir, 'm.wat'), '-o', join(dir, 'm.wasm')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`Cannot assemble text module: ${r.error?.message ?? r.stderr.trim()}`);
    return new Uint8Array(readFileSync(join(dir, 'm.wasm')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
