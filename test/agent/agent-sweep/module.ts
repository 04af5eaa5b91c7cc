// The app the agent crash sweep ships: a WAT reactor (as agent-kit's) carrying a large data segment, so its download
// spans many chunks and many fsync + bitmap steps, and its releases signed for the sweep's fleet.

import { createHash } from 'node:crypto';
import { wat } from '../../fuzz/wat.ts';
import { manifest, signManifest } from '../../trust/fixtures.ts';
import { E2E_LIMITS, type E2eRelease, type FleetKeys } from '../e2e-kit.ts';

const PAGE = 65_536;
const DATA_AT = 1024;

/** Deterministic bytes that differ per label (so each release has its own module and digest). */
function filler(label: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let block = createHash('sha256').update(label).digest();
  for (let at = 0; at < size; at += block.length) {
    out.set(block.subarray(0, Math.min(block.length, size - at)), at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/**
 * A reactor whose `init` writes `tag` under key "v" in its key-value store, whose `health` answers 1 (healthy) or 0
 * (unhealthy), and whose memory holds `dataBytes` of filler in a data segment.
 */
export function bigReactor(healthy: boolean, tag: string, dataBytes: number): { module: Uint8Array; pages: number } {
  const pages = Math.ceil((DATA_AT + dataBytes) / PAGE);
  const data = Array.from(filler(tag, dataBytes), (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  const module = wat(`(module
    (import "fleetlet:host/v1" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") ${pages})
    (data (i32.const 0) "v")
    (data (i32.const 16) "${tag}")
    (data (i32.const ${DATA_AT}) "${data}")
    (global $n (mut i32) (i32.const 0))
    (func (export "init") (drop (call $kv_set (i32.const 0) (i32.const 1) (i32.const 16) (i32.const ${Buffer.byteLength(tag)}))))
    (func (export "tick") global.get $n i32.const 1 i32.add global.set $n)
    (func (export "health") (result i32) i32.const ${healthy ? 1 : 0}))`);
  return { module, pages };
}

/** The key-value tag a version's `init` writes (the check reads it back from the app's key-value file). */
export const tagOf = (app: string, version: string, healthy: boolean): string => `${app}@${version}${healthy ? '' : '-unhealthy'}`;

/** A release of the big reactor, signed by the fleet's module signer. */
export function bigRelease(keys: FleetKeys, app: string, version: string, sequence: number, healthy: boolean, dataBytes: number): E2eRelease {
  const { module, pages } = bigReactor(healthy, tagOf(app, version, healthy), dataBytes);
  const now = Math.floor(Date.now() / 1000);
  const m = manifest(module, {
    name: app, version, sequence, capabilities: ['kv:4096'], limits: { ...E2E_LIMITS, maxMemoryPages: pages }, targets: ['sim'],
    issuedAt: now - 60, expiresAt: now + 90 * 86_400,
  });
  return { name: app, version, manifest: m, module, signedManifest: signManifest(m, keys.moduleSigner) };
}
