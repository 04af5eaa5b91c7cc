// The `fleetlet:host/v1` serial functions: open a granted port at a granted baud rate (its
// receive buffer reserved from the app's host budget), read with a timeout, write, close.

import { HOST_MODULE } from '../../schemas/host-imports.ts';
import type { HostDef } from './host-def.ts';
import type { HostContext, OpenPort } from './host-context.ts';
import { MAX_SERIAL_WRITE_BYTES } from './hw/serial.ts';
import { OK } from './status.ts';

const def = (d: Omit<HostDef, 'module'>): HostDef => ({ module: HOST_MODULE, ...d });
const MAX_PATH_BYTES = 256;

function portOf(ctx: HostContext, handle: number): OpenPort | number {
  return ctx.ports.get(handle) ?? ctx.status('badHandle');
}

export const SERIAL_DEFS: readonly HostDef[] = [
  def({
    name: 'serial_open',
    rate: 'refuse',
    suspends: true,
    errors: ['invalid', 'fault', 'denied', 'quota', 'unsupported', 'notFound', 'busy', 'io', 'closed'],
    check: 'the path and baud rate must be granted as serial:<path>:<baud>; the receive buffer comes from the host memory budget',
    traps: '',
    make: (ctx) => (pPtr, pLen, baudArg) => {
      const t = ctx.memory.text(Number(pPtr), Number(pLen), MAX_PATH_BYTES);
      if (!t.ok) return t.reason === 'fault' ? ctx.fault('serial_open', 'the path is outside memory') : ctx.status('invalid');
      const path = t.text;
      const baud = Number(baudArg);
      if (!ctx.grants.allowsSerial(path, baud)) return ctx.deny('serial_open', `port "${path}" at ${baud} baud is not granted`);
      const serial = ctx.device.serial;
      if (serial === undefined) return ctx.status('unsupported');
      if (ctx.ports.size >= ctx.limits.maxSerialPorts) return ctx.overQuota('serial_open', `at most ${ctx.limits.maxSerialPorts} ports may be open`);
      const reserved = ctx.limits.serialBufferBytes;
      if (!ctx.budget.reserve(reserved)) return ctx.overQuota('serial_open', `no host memory left for a ${reserved}-byte receive buffer`);
      const handle = ctx.nextHandle++;
      return ctx.wait('serial_open', { path, baud }, async () => {
        try {
          const port = await serial.open((ctx.device.serialPath ?? ((p: string) => p))(path), { baudRate: baud, bufferBytes: reserved });
          if (ctx.closed) {
            await port.close();
            throw new Error('the app is stopping');
          }
          ctx.ports.set(handle, { handle, path, port, reserved });
          return handle;
        } catch (e) {
          ctx.budget.release(reserved);
          throw e;
        }
      });
    },
  }),
  def({
    name: 'serial_read',
    rate: 'refuse',
    suspends: true,
    errors: ['invalid', 'fault', 'badHandle', 'busy', 'io', 'closed'],
    check: 'the handle must be one the module opened',
    traps: '',
    make: (ctx) => (h, bPtr, bLen, timeoutArg) => {
      const p = portOf(ctx, Number(h));
      if (typeof p === 'number') return p;
      const buf = Number(bPtr);
      const len = Number(bLen) >>> 0;
      const timeoutMs = Number(timeoutArg);
      if (timeoutMs < 0) return ctx.status('invalid');
      if (!ctx.memory.inBounds(buf, len)) return ctx.fault('serial_read', 'the buffer is outside memory');
      if (len === 0) return 0;
      const max = Math.min(len, p.reserved);
      return ctx.wait('serial_read', { handle: p.handle, maxBytes: max, timeoutMs }, async () => {
        const bytes = await p.port.read(max, { timeoutMs, signal: ctx.abort.signal });
        return ctx.memory.write(buf, bytes) ? bytes.length : ctx.fault('serial_read', 'the buffer is outside memory');
      });
    },
  }),
  def({
    name: 'serial_write',
    rate: 'refuse',
    suspends: true,
    errors: ['fault', 'badHandle', 'tooBig', 'quota', 'busy', 'timeout', 'io', 'closed'],
    check: 'the handle must be one the module opened; the bytes in flight come from the host memory budget',
    traps: '',
    make: (ctx) => (h, ptr, lenArg) => {
      const p = portOf(ctx, Number(h));
      if (typeof p === 'number') return p;
      const len = Number(lenArg) >>> 0;
      if (len > MAX_SERIAL_WRITE_BYTES) return ctx.status('tooBig');
      const bytes = ctx.memory.copy(Number(ptr), len);
      if (bytes === undefined) return ctx.fault('serial_write', 'the bytes are outside memory');
      if (!ctx.budget.reserve(len)) return ctx.overQuota('serial_write', `no host memory left for ${len} bytes in flight`);
      return ctx.wait('serial_write', { handle: p.handle, bytes: len }, async () => {
        try {
          await p.port.write(bytes, { signal: ctx.abort.signal });
          return len;
        } finally {
          ctx.budget.release(len);
        }
      });
    },
  }),
  def({
    name: 'serial_close',
    rate: 'refuse',
    suspends: true,
    errors: ['badHandle', 'io'],
    check: 'the handle must be one the module opened',
    traps: '',
    make: (ctx) => (h) => {
      const p = portOf(ctx, Number(h));
      if (typeof p === 'number') return p;
      ctx.ports.delete(p.handle);
      return ctx.wait('serial_close', { handle: p.handle }, async () => {
        try {
          await p.port.close();
        } finally {
          ctx.budget.release(p.reserved);
        }
        return OK;
      });
    },
  }),
];
