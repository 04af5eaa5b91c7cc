// Tests of the WASI preview1 subset through the engine: stdout and stderr as log lines, the
// standard-stream fd calls and their errnos, clocks, random bytes, arguments and environment
// from the settings, and poll_oneoff (clock subscriptions suspend; stream subscriptions are ready).

import { describe, expect, it } from 'vitest';
import { WASI_MODULE } from '../../schemas/host-imports.ts';
import { Trap } from '../wasm/errors.ts';
import { finish, probe } from './_probe.ts';
import { ProcExit } from './host-context.ts';
import { ERRNO } from './status.ts';

const W = { importModule: WASI_MODULE };

/** Writes an iovec array at `at` for the given [ptr, len] pairs. */
function iovs(mem: Uint8Array, at: number, parts: [number, number][]): void {
  const dv = new DataView(mem.buffer);
  parts.forEach(([p, l], i) => {
    dv.setUint32(at + i * 8, p, true);
    dv.setUint32(at + i * 8 + 4, l, true);
  });
}

describe('fd_write', () => {
  it('turns stdout and stderr into log lines, holding an unfinished line until its newline', async () => {
    const p = await probe(['fd_write'], W);
    const [a, al] = p.str('hello ');
    const [b, bl] = p.str('world\nsecond');
    iovs(p.mem(), 100, [[a, al], [b, bl]]);
    expect(await p.run('fd_write', 1, 100, 2, 200)).toBe(ERRNO.success);
    expect(new DataView(p.mem().buffer).getUint32(200, true)).toBe(al + bl);
    expect(p.dev.logs.map((l) => [l.source, l.level, l.text])).toEqual([['stdout', 'info', 'hello world']]);
    const [c, cl] = p.str(' line\r\n');
    iovs(p.mem(), 100, [[c, cl]]);
    await p.run('fd_write', 1, 100, 1, 200);
    const [e, el] = p.str('oops\n');
    iovs(p.mem(), 100, [[e, el]]);
    await p.run('fd_write', 2, 100, 1, 200);
    expect(p.dev.logs.map((l) => [l.source, l.level, l.text])).toEqual([
      ['stdout', 'info', 'hello world'],
      ['stdout', 'info', 'second line'],
      ['stderr', 'warn', 'oops'],
    ]);
  });

  it('hands out a line of 4096 bytes without a newline as it fills (the buffer is bounded)', async () => {
    const p = await probe(['fd_write'], W);
    const [a] = p.str('z'.repeat(9000));
    iovs(p.mem(), 100, [[a, 9000]]);
    await p.run('fd_write', 1, 100, 1, 200);
    expect(p.dev.logs.map((l) => l.text.length)).toEqual([4096, 4096]);
    p.host.flushOutput();
    expect(p.dev.logs.map((l) => l.text.length)).toEqual([4096, 4096, 808]);
  });

  it('returns EBADF for stdin and unknown descriptors, EFAULT for iovecs outside memory', async () => {
    const p = await probe(['fd_write'], W);
    iovs(p.mem(), 100, [[0, 1]]);
    expect(await p.run('fd_write', 0, 100, 1, 200)).toBe(ERRNO.badf);
    expect(await p.run('fd_write', 3, 100, 1, 200)).toBe(ERRNO.badf);
    expect(await p.run('fd_write', 1, 65_530, 1, 200)).toBe(ERRNO.fault);
    iovs(p.mem(), 100, [[65_000, 1000]]);
    expect(await p.run('fd_write', 1, 100, 1, 200)).toBe(ERRNO.fault);
    expect(await p.run('fd_write', 1, 100, 0, 65_534)).toBe(ERRNO.fault);
    expect(p.dev.logs).toEqual([]);
  });
});

describe('standard stream descriptors', () => {
  it('fd_seek on a standard stream is ESPIPE, elsewhere EBADF', async () => {
    const p = await probe(['fd_seek'], W);
    expect(await p.run('fd_seek', 1, 0n, 0, 100)).toBe(ERRNO.spipe);
    expect(await p.run('fd_seek', 9, 0n, 0, 100)).toBe(ERRNO.badf);
  });

  it('fd_fdstat_get says character device, writable stdout, readable stdin', async () => {
    const p = await probe(['fd_fdstat_get'], W);
    p.mem().fill(0xee, 300, 324);
    expect(await p.run('fd_fdstat_get', 1, 300)).toBe(ERRNO.success);
    const dv = new DataView(p.mem().buffer);
    expect(dv.getUint8(300)).toBe(2);
    expect(dv.getUint16(302, true)).toBe(0);
    expect(dv.getBigUint64(308, true)).toBe((1n << 6n) | (1n << 27n));
    expect(dv.getBigUint64(316, true)).toBe(0n);
    await p.run('fd_fdstat_get', 0, 300);
    expect(dv.getBigUint64(308, true)).toBe((1n << 1n) | (1n << 27n));
    expect(await p.run('fd_fdstat_get', 4, 300)).toBe(ERRNO.badf);
    expect(await p.run('fd_fdstat_get', 1, 65_520)).toBe(ERRNO.fault);
  });

  it('fd_close flushes the stream; later writes to it are EBADF', async () => {
    const p = await probe(['fd_write', 'fd_close'], W);
    const [a, al] = p.str('no newline');
    iovs(p.mem(), 100, [[a, al]]);
    await p.run('fd_write', 1, 100, 1, 200);
    expect(await p.run('fd_close', 1)).toBe(ERRNO.success);
    expect(p.dev.logs.map((l) => l.text)).toEqual(['no newline']);
    expect(await p.run('fd_write', 1, 100, 1, 200)).toBe(ERRNO.badf);
    expect(await p.run('fd_close', 1)).toBe(ERRNO.badf);
  });
});

describe('clocks, random, exit', () => {
  it('clock_time_get gives realtime, monotonic and CPU time from the injected clocks; EINVAL for other ids', async () => {
    const p = await probe(['clock_time_get'], { ...W, capabilities: ['clock'] });
    await p.dev.time.advance(5);
    const dv = new DataView(p.mem().buffer);
    expect(await p.run('clock_time_get', 0, 1n, 400)).toBe(ERRNO.success);
    expect(dv.getBigUint64(400, true)).toBe(1_700_000_001_005n * 1_000_000n);
    await p.run('clock_time_get', 1, 1n, 400);
    expect(dv.getBigUint64(400, true)).toBe(1_005_000_000n);
    await p.run('clock_time_get', 2, 1n, 400);
    expect(dv.getBigUint64(400, true)).toBe(5_000_000n);
    expect(await p.run('clock_time_get', 4, 1n, 400)).toBe(ERRNO.inval);
    expect(await p.run('clock_time_get', 1, 1n, 65_530)).toBe(ERRNO.fault);
  });

  it('random_get fills the buffer from the device source; EFAULT outside memory', async () => {
    const p = await probe(['random_get'], { ...W, capabilities: ['random'] });
    expect(await p.run('random_get', 500, 16)).toBe(ERRNO.success);
    expect([...p.mem().subarray(500, 516)]).toEqual(new Array(16).fill(7));
    expect(p.mem()[516]).toBe(0);
    expect(await p.run('random_get', 65_530, 16)).toBe(ERRNO.fault);
  });

  it('proc_exit ends the call with a ProcExit cause and records the code', async () => {
    const p = await probe(['proc_exit'], W);
    const r = p.call('proc_exit', 3);
    expect(r.kind).toBe('trap');
    if (r.kind === 'trap') {
      expect(r.trap).toBeInstanceOf(Trap);
      expect(r.trap.cause).toBeInstanceOf(ProcExit);
    }
    expect(p.host.exitCode).toBe(3);
  });
});

describe('arguments and environment', () => {
  it('args_sizes_get and args_get lay out argv: the app name then the arguments', async () => {
    const p = await probe(['args_sizes_get', 'args_get'], { ...W, args: ['16', 'héllo'] });
    const dv = new DataView(p.mem().buffer);
    expect(await p.run('args_sizes_get', 100, 104)).toBe(ERRNO.success);
    expect([dv.getUint32(100, true), dv.getUint32(104, true)]).toEqual([3, 6 + 3 + 7]);
    expect(await p.run('args_get', 200, 300)).toBe(ERRNO.success);
    const ptrs = [0, 1, 2].map((i) => dv.getUint32(200 + i * 4, true));
    expect(ptrs).toEqual([300, 306, 309]);
    expect(Buffer.from(p.mem().subarray(300, 316)).toString('utf8')).toBe('probe\u000016\u0000héllo\u0000');
    expect(await p.run('args_get', 65_534, 300)).toBe(ERRNO.fault);
  });

  it('environ_* give the per-device settings as NAME=value, sorted by name', async () => {
    const p = await probe(['environ_sizes_get', 'environ_get'], { ...W, settings: { SETPOINT: '21.5', MODE: 'eco' } });
    const dv = new DataView(p.mem().buffer);
    await p.run('environ_sizes_get', 100, 104);
    expect([dv.getUint32(100, true), dv.getUint32(104, true)]).toEqual([2, 9 + 14]);
    await p.run('environ_get', 200, 300);
    expect([dv.getUint32(200, true), dv.getUint32(204, true)]).toEqual([300, 309]);
    expect(Buffer.from(p.mem().subarray(300, 323)).toString()).toBe('MODE=eco\u0000SETPOINT=21.5\u0000');
  });
});

describe('poll_oneoff', () => {
  /** Writes a clock subscription at `at`. */
  function clockSub(mem: Uint8Array, at: number, userdata: bigint, id: number, timeoutNs: bigint, abs = false): void {
    const dv = new DataView(mem.buffer);
    mem.fill(0, at, at + 48);
    dv.setBigUint64(at, userdata, true);
    dv.setUint8(at + 8, 0);
    dv.setUint32(at + 16, id, true);
    dv.setBigUint64(at + 24, timeoutNs, true);
    dv.setUint16(at + 40, abs ? 1 : 0, true);
  }
  function fdSub(mem: Uint8Array, at: number, userdata: bigint, tag: 1 | 2, fd: number): void {
    const dv = new DataView(mem.buffer);
    mem.fill(0, at, at + 48);
    dv.setBigUint64(at, userdata, true);
    dv.setUint8(at + 8, tag);
    dv.setUint32(at + 16, fd, true);
  }
  const event = (mem: Uint8Array, at: number) => {
    const dv = new DataView(mem.buffer);
    return { userdata: dv.getBigUint64(at, true), error: dv.getUint16(at + 8, true), type: dv.getUint8(at + 10), nbytes: dv.getBigUint64(at + 16, true), flags: dv.getUint16(at + 24, true) };
  };

  it('a relative clock subscription suspends until its deadline on the scheduler clock', async () => {
    const p = await probe(['poll_oneoff'], W);
    clockSub(p.mem(), 1000, 42n, 1, 250_000_000n);
    const r = p.call('poll_oneoff', 1000, 2000, 1, 3000);
    expect(r.kind).toBe('suspended');
    if (r.kind !== 'suspended') return;
    expect(r.call.pending?.detail).toEqual({ op: 'poll_oneoff', sleepUntil: 1250 });
    expect(r.call.resume()).toMatchObject({ kind: 'done', value: [ERRNO.success] });
    expect(new DataView(p.mem().buffer).getUint32(3000, true)).toBe(1);
    expect(event(p.mem(), 2000)).toEqual({ userdata: 42n, error: 0, type: 0, nbytes: 0n, flags: 0 });
  });

  it('of several clocks the earliest fires; an absolute monotonic deadline counts from the clock origin', async () => {
    const p = await probe(['poll_oneoff'], W);
    clockSub(p.mem(), 1000, 1n, 1, 900_000_000n);
    clockSub(p.mem(), 1048, 2n, 1, 1_100_000_000n, true); // at 1100 ms: 100 ms from now (1000)
    const r = p.call('poll_oneoff', 1000, 2000, 2, 3000);
    expect(r.kind === 'suspended' && r.call.pending?.detail).toEqual({ op: 'poll_oneoff', sleepUntil: 1100 });
    expect(event(p.mem(), 2000).userdata).toBe(2n);
    expect(new DataView(p.mem().buffer).getUint32(3000, true)).toBe(1);
  });

  it('a deadline already passed returns at once', async () => {
    const p = await probe(['poll_oneoff'], W);
    clockSub(p.mem(), 1000, 5n, 1, 10_000_000n, true);
    expect(p.call('poll_oneoff', 1000, 2000, 1, 3000)).toMatchObject({ kind: 'done', value: [ERRNO.success] });
    expect(event(p.mem(), 2000).userdata).toBe(5n);
  });

  it('stream subscriptions are ready at once: stdout writable, stdin at its end, others EBADF', async () => {
    const p = await probe(['poll_oneoff'], W);
    clockSub(p.mem(), 1000, 1n, 1, 5_000_000_000n);
    fdSub(p.mem(), 1048, 2n, 2, 1);
    fdSub(p.mem(), 1096, 3n, 1, 0);
    fdSub(p.mem(), 1144, 4n, 1, 7);
    expect(await finish(p.call('poll_oneoff', 1000, 2000, 4, 3000))).toBe(ERRNO.success);
    expect(new DataView(p.mem().buffer).getUint32(3000, true)).toBe(3);
    expect([0, 1, 2].map((i) => event(p.mem(), 2000 + i * 32))).toEqual([
      { userdata: 2n, error: 0, type: 2, nbytes: 4096n, flags: 0 },
      { userdata: 3n, error: 0, type: 1, nbytes: 0n, flags: 1 },
      { userdata: 4n, error: ERRNO.badf, type: 1, nbytes: 0n, flags: 0 },
    ]);
  });

  it('returns EINVAL for no subscriptions or an unknown tag, EFAULT for arrays outside memory', async () => {
    const p = await probe(['poll_oneoff'], W);
    expect(await p.run('poll_oneoff', 1000, 2000, 0, 3000)).toBe(ERRNO.inval);
    p.mem()[1008] = 9;
    expect(await p.run('poll_oneoff', 1000, 2000, 1, 3000)).toBe(ERRNO.inval);
    expect(await p.run('poll_oneoff', 65_500, 2000, 1, 3000)).toBe(ERRNO.fault);
    expect(await p.run('poll_oneoff', 1000, 2000, 2000, 3000)).toBe(ERRNO.fault);
  });
});
