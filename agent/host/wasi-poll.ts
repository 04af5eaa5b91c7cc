// WASI preview1 `poll_oneoff`: clock subscriptions sleep (the call suspends until the earliest
// deadline on the scheduler's clock), subscriptions on the standard streams are ready at once
// (stdout and stderr take writes, stdin is at its end).

import { WASI_MODULE } from '../../schemas/host-imports.ts';
import { Pending } from '../wasm/api.ts';
import type { HostDef } from './host-def.ts';
import type { HostContext } from './host-context.ts';
import { ERRNO } from './status.ts';
import { isOpenStdio } from './wasi.ts';

const SUBSCRIPTION_BYTES = 48;
const EVENT_BYTES = 32;
const EVENTTYPE_CLOCK = 0;
const EVENTTYPE_FD_READ = 1;
const EVENTTYPE_FD_WRITE = 2;
const SUBCLOCKFLAG_ABSTIME = 1;
const EVENTRWFLAG_HANGUP = 1;
/** What a ready stdout or stderr says it can take. */
const WRITABLE_BYTES = 4096n;

interface PollEvent {
  readonly userdata: bigint;
  readonly error: number;
  readonly type: number;
  readonly nbytes: bigint;
  readonly flags: number;
}

/** A clock subscription's deadline on the monotonic clock (ms), or undefined for an unknown clock. */
function deadline(ctx: HostContext, id: number, timeoutNs: bigint, flags: number): number | undefined {
  const ms = Number(timeoutNs) / 1e6;
  const now = ctx.now();
  if ((flags & SUBCLOCKFLAG_ABSTIME) === 0) return id >= 0 && id <= 3 ? now + ms : undefined;
  switch (id) {
    case 0: return now + (ms - ctx.wallMs());
    case 1: return ms;
    case 2:
    case 3: return ctx.startedAt + ms;
    default: return undefined;
  }
}

function writeEvents(ctx: HostContext, outPtr: number, neventsPtr: number, events: readonly PollEvent[]): void {
  events.forEach((e, i) => {
    const at = outPtr + i * EVENT_BYTES;
    ctx.memory.write(at, new Uint8Array(EVENT_BYTES));
    ctx.memory.writeU64(at, e.userdata);
    ctx.memory.writeU16(at + 8, e.error);
    ctx.memory.writeU8(at + 10, e.type);
    ctx.memory.writeU64(at + 16, e.nbytes);
    ctx.memory.writeU16(at + 24, e.flags);
  });
  ctx.memory.writeU32(neventsPtr, events.length);
}

export const POLL_DEFS: readonly HostDef[] = [
  {
    module: WASI_MODULE,
    name: 'poll_oneoff',
    rate: 'free',
    suspends: true,
    errors: ['inval', 'fault'],
    check: '',
    traps: '',
    make: (ctx) => (inArg, outArg, nArg, neventsArg) => {
      const n = Number(nArg) >>> 0;
      const inPtr = Number(inArg) >>> 0;
      const outPtr = Number(outArg) >>> 0;
      const neventsPtr = Number(neventsArg) >>> 0;
      if (n === 0) return ERRNO.inval;
      if (!ctx.memory.inBounds(inPtr, n * SUBSCRIPTION_BYTES) || !ctx.memory.inBounds(outPtr, n * EVENT_BYTES) || !ctx.memory.inBounds(neventsPtr, 4)) {
        return ERRNO.fault;
      }
      const ready: PollEvent[] = [];
      const clocks: { userdata: bigint; at: number }[] = [];
      for (let i = 0; i < n; i++) {
        const s = inPtr + i * SUBSCRIPTION_BYTES;
        const userdata = ctx.memory.readU64(s)!;
        const tag = ctx.memory.readU8(s + 8)!;
        const none = { userdata, nbytes: 0n, flags: 0 };
        if (tag === EVENTTYPE_CLOCK) {
          const at = deadline(ctx, ctx.memory.readU32(s + 16)!, ctx.memory.readU64(s + 24)!, ctx.memory.readU16(s + 40)!);
          if (at === undefined) ready.push({ ...none, error: ERRNO.inval, type: EVENTTYPE_CLOCK });
          else clocks.push({ userdata, at });
        } else if (tag === EVENTTYPE_FD_READ || tag === EVENTTYPE_FD_WRITE) {
          const fd = ctx.memory.readU32(s + 16)!;
          const ok = isOpenStdio(ctx, fd) && (tag === EVENTTYPE_FD_READ ? fd === 0 : fd !== 0);
          if (!ok) ready.push({ ...none, error: ERRNO.badf, type: tag });
          else if (tag === EVENTTYPE_FD_READ) ready.push({ ...none, error: 0, type: tag, flags: EVENTRWFLAG_HANGUP });
          else ready.push({ ...none, error: 0, type: tag, nbytes: WRITABLE_BYTES });
        } else {
          return ERRNO.inval;
        }
      }
      const now = ctx.now();
      if (ready.length > 0 || clocks.length === 0) {
        for (const c of clocks) if (c.at <= now) ready.push({ userdata: c.userdata, error: 0, type: EVENTTYPE_CLOCK, nbytes: 0n, flags: 0 });
        writeEvents(ctx, outPtr, neventsPtr, ready);
        return ERRNO.success;
      }
      // Only clocks: the earliest deadline fires (every subscription that shares it).
      const first = Math.min(...clocks.map((c) => c.at));
      const fired = clocks.filter((c) => c.at === first).map((c) => ({ userdata: c.userdata, error: 0, type: EVENTTYPE_CLOCK, nbytes: 0n, flags: 0 }));
      // The module cannot look at its memory while it waits, so the events are written now.
      writeEvents(ctx, outPtr, neventsPtr, fired);
      if (first <= now) return ERRNO.success;
      return new Pending(undefined, { op: 'poll_oneoff', sleepUntil: first });
    },
  },
];
