// Debian WABT's `wasm-validate` as the mutation fuzzer's reference verdict: runs it on many inputs
// with a small number of concurrent processes, and caches each verdict by content hash and WABT
// version in the OS temp folder (spawning costs a few milliseconds per input).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WASM_VALIDATE = process.env['WASM_VALIDATE'] ?? 'wasm-validate';
/** The reference configuration: WABT's defaults are the Wasm 2.0 feature set, plus SIMD, which is switched off. */
export const WABT_FLAGS: readonly string[] = ['--disable-simd'];

export interface WabtVerdict {
  /** Undefined when wasm-validate itself crashed on the input (no verdict). */
  readonly valid: boolean | undefined;
  /** WABT's error output, lines joined by " | ", without the file name. */
  readonly message: string;
}

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

let versionCache: string | undefined;

export function wabtVersion(): string {
  if (versionCache === undefined) {
    const r = spawnSync(WASM_VALIDATE, ['--version'], { encoding: 'utf8' });
    versionCache = r.status === 0 ? r.stdout.trim() : 'missing';
  }
  return versionCache;
}

function cacheFile(flags: readonly string[]): string {
  const dir = join(process.env['FLEETLET_FUZZ_CACHE'] ?? join(tmpdir(), 'fleetlet-fuzz'), 'wabt');
  mkdirSync(dir, { recursive: true });
  const key = createHash('sha1').update(`${wabtVersion()}\n${flags.join(' ')}\nv2`).digest('hex').slice(0, 12);
  return join(dir, `verdicts-${key}.jsonl`);
}

function loadCache(file: string): Map<string, WabtVerdict> {
  const map = new Map<string, WabtVerdict>();
  if (!existsSync(file)) return map;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      const [hash, valid, message] = JSON.parse(line) as [string, boolean, string];
      map.set(hash, { valid, message });
    } catch {
      // A torn line from an interrupted run: that input is simply validated again.
    }
  }
  return map;
}

/**
 * One bash loop runs wasm-validate on each file and prints "path TAB exit-code TAB stderr", the
 * stderr lines joined by " | " (WABT's offset is sometimes on the second line).
 */
const LOOP = 'for f in "$@"; do out=$("$0" "$WABT_FLAGS_1" "$f" 2>&1 >/dev/null); rc=$?; ' +
  'out="${out//$\'\\n\'/ | }"; printf "%s\\t%s\\t%s\\n" "$f" "$rc" "${out:0:400}"; done';

/** Runs wasm-validate on files through a shell loop (spawning from Node costs ~10 ms per process, from bash ~1 ms). */
function runBatch(files: readonly string[], flags: readonly string[]): Promise<Map<string, WabtVerdict>> {
  return new Promise((resolve, reject) => {
    // The flags go through the environment so that the loop's "$@" holds only file names.
    const loop = LOOP.replace('"$WABT_FLAGS_1"', flags.map((_, i) => `"$WABT_FLAG_${i}"`).join(' '));
    const env: Record<string, string> = { ...process.env } as Record<string, string>;
    flags.forEach((f, i) => { env[`WABT_FLAG_${i}`] = f; });
    const child = spawn('bash', ['-c', loop, WASM_VALIDATE, ...files], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => { out += d; });
    child.stderr.on('data', (d: string) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`Cannot run wasm-validate through bash (exit code "${code}"): ${err.trim()}`));
      const verdicts = new Map<string, WabtVerdict>();
      for (const line of out.split('\n')) {
        const [file, rc, ...rest] = line.split('\t');
        if (file === undefined || rc === undefined || file === '') continue;
        const message = rest.join('\t').split(`${file}:`).join('').trim();
        if (rc === '0') verdicts.set(file, { valid: true, message: '' });
        else if (rc === '1') verdicts.set(file, { valid: false, message });
        else if (rc === '127') return reject(new Error(`Cannot run "${WASM_VALIDATE}": not found`));
        else verdicts.set(file, { valid: undefined, message: `wasm-validate exited with "${rc}": ${message}` });
      }
      const missing = files.find((f) => !verdicts.has(f));
      if (missing !== undefined) return reject(new Error(`wasm-validate gave no verdict for "${missing}"`));
      resolve(verdicts);
    });
  });
}

export interface WabtRun {
  readonly verdicts: WabtVerdict[];
  /** Inputs answered from the cache, and inputs that ran wasm-validate. */
  readonly cached: number;
  readonly ran: number;
  readonly ms: number;
}

/**
 * WABT's verdict on each input (same order).
 * @throws Error when wasm-validate or bash cannot run
 */
export async function wabtVerdicts(inputs: readonly Uint8Array[], options: { concurrency?: number; flags?: readonly string[] } = {}): Promise<WabtRun> {
  const t0 = performance.now();
  const flags = options.flags ?? WABT_FLAGS;
  const cachePath = cacheFile(flags);
  const cache = loadCache(cachePath);
  const hashes = inputs.map(contentHash);
  const todo = [...new Set(hashes.filter((h) => !cache.has(h)))];
  const byHash = new Map<string, Uint8Array>();
  hashes.forEach((h, i) => byHash.set(h, inputs[i] as Uint8Array));
  const dir = mkdtempSync(join(tmpdir(), 'fleetlet-wabt-'));
  try {
    const files = todo.map((hash) => {
      const path = join(dir, `${hash}.wasm`);
      writeFileSync(path, byHash.get(hash) as Uint8Array);
      return path;
    });
    const batch = 400;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const chunk = files.slice(next, next + batch);
        next += batch;
        const got = await runBatch(chunk, flags);
        const fresh: string[] = [];
        for (const [path, v] of got) {
          const hash = path.slice(dir.length + 1, -'.wasm'.length);
          cache.set(hash, v);
          if (v.valid !== undefined) fresh.push(JSON.stringify([hash, v.valid, v.message]));
        }
        if (fresh.length > 0) appendFileSync(cachePath, `${fresh.join('\n')}\n`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const verdicts = hashes.map((h) => cache.get(h) as WabtVerdict);
  return { verdicts, cached: inputs.length - todo.length, ran: todo.length, ms: performance.now() - t0 };
}
