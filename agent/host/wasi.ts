// The WASI preview1 subset (`wasi_snapshot_preview1`) other than poll_oneoff: standard streams
// into the app's log, the clocks, random bytes, proc_exit, and arguments and environment (the
// per-device settings), with the errno results preview1 defines.

import { webcrypto } from 'node:crypto';
import { WASI_MODULE } from '../../schemas/host-imports.ts';
import type { HostDef } from './host-def.ts';
import { nsOf, ProcExit, type HostContext } from './host-context.ts';
import { ERRNO } from './status.ts';

const def = (d: Omit<HostDef, 'module'>): HostDef => ({ module: WASI_MODULE, ...d });

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const FILETYPE_CHARACTER_DEVICE = 2;
// Rights bits of preview1: fd_read 1 << 1, fd_write 1 << 6, poll_fd_readwrite 1 << 27.
const RIGHT_FD_READ = 1n << 1n;
const RIGHT_FD_WRITE = 1n << 6n;
const RIGHT_POLL_FD_READWRITE = 1n << 27n;

/** Whether fd is a standard stream the module has not closed. */
export function isOpenStdio(ctx: HostContext, fd: number): boolean {
  return fd >= STDIN && fd <= STDERR && !ctx.closedFds.has(fd);
}

/** Lays out NUL-terminated strings as preview1's args_get and environ_get expect. */
function stringList(ctx: HostContext, items: readonly string[], ptrsAt: number, bufAt: number): number {
  const encoded = items.map((s) => Buffer.from(`${s}\0`, 'utf8'));
  const total = encoded.reduce((n, b) => n + b.length, 0);
  if (!ctx.memory.inBounds(ptrsAt, items.length * 4) || !ctx.memory.inBounds(bufAt, total)) return ERRNO.fault;
  let p = bufAt >>> 0;
  encoded.forEach((b, i) => {
    ctx.memory.writeU32(ptrsAt + i * 4, p);
    ctx.memory.write(p, b);
    p += b.length;
  });
  return ERRNO.success;
}

function listSizes(ctx: HostContext, items: readonly string[], countAt: number, sizeAt: number): number {
  const size = items.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0);
  if (!ctx.memory.inBounds(countAt, 4) || !ctx.memory.inBounds(sizeAt, 4)) return ERRNO.fault;
  ctx.memory.writeU32(countAt, items.length);
  ctx.memory.writeU32(sizeAt, size);
  return ERRNO.success;
}

/** The environment: the per-device settings as NAME=value, sorted by name. */
export function environment(ctx: HostContext): string[] {
  return Object.keys(ctx.settings).sort().map((k) => `${k}=${ctx.settings[k]}`);
}

/** The time of a preview1 clock id in ns, or undefined for an unknown id. */
export function clockNs(ctx: HostContext, id: number): bigint | undefined {
  switch (id) {
    case 0: return nsOf(ctx.wallMs());
    case 1: return nsOf(ctx.now());
    // Process and thread CPU time: time since the app's host was created (modules share one thread).
    case 2:
    case 3: return nsOf(ctx.now() - ctx.startedAt);
    default: return undefined;
  }
}

function fillRandom(ctx: HostContext, into: Uint8Array): void {
  if (ctx.device.random !== undefined) {
    ctx.device.random(into);
    return;
  }
  for (let i = 0; i < into.length; i += 65536) webcrypto.getRandomValues(into.subarray(i, Math.min(into.length, i + 65536)));
}

export const WASI_DEFS: readonly HostDef[] = [
  def({
    name: 'fd_write',
    rate: 'drop',
    suspends: false,
    errors: ['badf', 'fault'],
    check: '',
    traps: '',
    make: (ctx) => (fdArg, iovs, iovsLen, nwrittenPtr) => {
      const fd = Number(fdArg);
      if (fd === STDIN || !isOpenStdio(ctx, fd)) return ERRNO.badf;
      const n = Number(iovsLen) >>> 0;
      if (!ctx.memory.inBounds(Number(iovs), n * 8) || !ctx.memory.inBounds(Number(nwrittenPtr), 4)) return ERRNO.fault;
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < n; i++) {
        const at = Number(iovs) + i * 8;
        const v = ctx.memory.view(ctx.memory.readU32(at)!, ctx.memory.readU32(at + 4)!);
        if (v === undefined) return ERRNO.fault;
        parts.push(v);
        total += v.length;
      }
      if (ctx.takeCall('fd_write')) {
        const [buf, level, source] = fd === STDOUT ? [ctx.stdout, 'info', 'stdout'] as const : [ctx.stderr, 'warn', 'stderr'] as const;
        for (const p of parts) buf.push(p, (line) => ctx.emitLog(level, line, source));
      } else {
        ctx.droppedLog();
      }
      ctx.memory.writeU32(Number(nwrittenPtr), total);
      return ERRNO.success;
    },
  }),
  def({
    name: 'fd_close',
    rate: 'free',
    suspends: false,
    errors: ['badf'],
    check: '',
    traps: '',
    make: (ctx) => (fdArg) => {
      const fd = Number(fdArg);
      if (!isOpenStdio(ctx, fd)) return ERRNO.badf;
      if (fd === STDOUT) ctx.stdout.flush((l) => ctx.emitLog('info', l, 'stdout'));
      if (fd === STDERR) ctx.stderr.flush((l) => ctx.emitLog('warn', l, 'stderr'));
      ctx.closedFds.add(fd);
      return ERRNO.success;
    },
  }),
  def({
    name: 'fd_seek',
    rate: 'free',
    suspends: false,
    errors: ['badf', 'spipe'],
    check: '',
    traps: '',
    make: (ctx) => (fdArg) => (isOpenStdio(ctx, Number(fdArg)) ? ERRNO.spipe : ERRNO.badf),
  }),
  def({
    name: 'fd_fdstat_get',
    rate: 'free',
    suspends: false,
    errors: ['badf', 'fault'],
    check: '',
    traps: '',
    make: (ctx) => (fdArg, statPtr) => {
      const fd = Number(fdArg);
      if (!isOpenStdio(ctx, fd)) return ERRNO.badf;
      const at = Number(statPtr);
      if (!ctx.memory.inBounds(at, 24)) return ERRNO.fault;
      // A character device that cannot seek: wasi-libc then treats it as a terminal and
      // line-buffers it, which is what a log wants.
      ctx.memory.write(at, new Uint8Array(24));
      ctx.memory.writeU8(at, FILETYPE_CHARACTER_DEVICE);
      ctx.memory.writeU64(at + 8, (fd === STDIN ? RIGHT_FD_READ : RIGHT_FD_WRITE) | RIGHT_POLL_FD_READWRITE);
      return ERRNO.success;
    },
  }),
  def({
    name: 'clock_time_get',
    rate: 'free',
    suspends: false,
    errors: ['inval', 'fault'],
    check: '',
    traps: '',
    make: (ctx) => (id, _precision, timePtr) => {
      const t = clockNs(ctx, Number(id));
      if (t === undefined) return ERRNO.inval;
      return ctx.memory.writeU64(Number(timePtr), t) ? ERRNO.success : ERRNO.fault;
    },
  }),
  def({
    name: 'random_get',
    rate: 'refuse',
    suspends: false,
    errors: ['fault'],
    check: '',
    traps: '',
    make: (ctx) => (ptr, len) => {
      const v = ctx.memory.view(Number(ptr), Number(len));
      if (v === undefined) return ERRNO.fault;
      fillRandom(ctx, v);
      return ERRNO.success;
    },
  }),
  def({
    name: 'proc_exit',
    rate: 'free',
    suspends: false,
    errors: [],
    check: '',
    traps: 'always: it ends the module, which the runner reports as an exit with the code, not as a trap',
    make: (ctx) => (code) => {
      ctx.flushStreams();
      ctx.exitCode = Number(code) >>> 0;
      throw new ProcExit(ctx.exitCode);
    },
  }),
  def({
    name: 'args_sizes_get',
    rate: 'free',
    suspends: false,
    errors: ['fault'],
    check: '',
    traps: '',
    make: (ctx) => (countPtr, sizePtr) => listSizes(ctx, ctx.argv, Number(countPtr), Number(sizePtr)),
  }),
  def({
    name: 'args_get',
    rate: 'free',
    suspends: false,
    errors: ['fault'],
    check: '',
    traps: '',
    make: (ctx) => (argvPtr, bufPtr) => stringList(ctx, ctx.argv, Number(argvPtr), Number(bufPtr)),
  }),
  def({
    name: 'environ_sizes_get',
    rate: 'free',
    suspends: false,
    errors: ['fault'],
    check: '',
    traps: '',
    make: (ctx) => (countPtr, sizePtr) => listSizes(ctx, environment(ctx), Number(countPtr), Number(sizePtr)),
  }),
  def({
    name: 'environ_get',
    rate: 'free',
    suspends: false,
    errors: ['fault'],
    check: '',
    traps: '',
    make: (ctx) => (envPtr, bufPtr) => stringList(ctx, environment(ctx), Number(envPtr), Number(bufPtr)),
  }),
];
