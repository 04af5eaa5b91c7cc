// The `fleetlet:host/v1` GPIO functions: configure a granted pin as input or output, read it,
// drive it, wait for an edge; each pin checked against `gpio:<pin>:in|out` before the backend.

import { HOST_MODULE } from '../../schemas/host-imports.ts';
import type { HostDef } from './host-def.ts';
import type { HostContext } from './host-context.ts';
import type { GpioBackend, GpioEdge } from './hw/gpio.ts';
import { OK } from './status.ts';

const def = (d: Omit<HostDef, 'module'>): HostDef => ({ module: HOST_MODULE, ...d });
const EDGES: readonly GpioEdge[] = ['rising', 'falling', 'both'];

function lineOf(ctx: HostContext, pin: number): string {
  return (ctx.device.gpioLine ?? String)(pin);
}

function backend(ctx: HostContext): GpioBackend | number {
  return ctx.device.gpio ?? ctx.status('unsupported');
}

/** Whether the pin is one the module configured in this direction (else the status to return). */
function configured(ctx: HostContext, pin: number, want: 'in' | 'out' | 'any'): number | undefined {
  const dir = ctx.lines.get(pin);
  if (dir === undefined || (want !== 'any' && dir !== want)) return ctx.status('state');
  return undefined;
}

export const GPIO_DEFS: readonly HostDef[] = [
  def({
    name: 'gpio_config',
    rate: 'refuse',
    suspends: true,
    errors: ['invalid', 'denied', 'unsupported', 'notFound', 'busy', 'state', 'io', 'closed'],
    check: 'direction 0 needs gpio:<pin>:in, direction 1 needs gpio:<pin>:out',
    traps: '',
    make: (ctx) => (pinArg, dirArg) => {
      const pin = Number(pinArg);
      const d = Number(dirArg);
      if (d !== 0 && d !== 1) return ctx.status('invalid');
      const dir = d === 0 ? 'in' : 'out';
      if (!ctx.grants.allowsGpio(pin, dir)) return ctx.deny('gpio_config', `pin ${pin} is not granted as ${dir === 'in' ? 'an input' : 'an output'}`);
      const gpio = backend(ctx);
      if (typeof gpio === 'number') return gpio;
      const had = ctx.lines.get(pin);
      if (had === dir) return OK;
      const line = lineOf(ctx, pin);
      return ctx.wait('gpio_config', { pin, direction: dir }, async () => {
        if (had !== undefined) {
          ctx.lines.delete(pin);
          await gpio.release(line);
        }
        await gpio.configure(line, dir === 'in' ? { direction: 'input' } : { direction: 'output', initial: 0 });
        ctx.lines.set(pin, dir);
        return OK;
      });
    },
  }),
  def({
    name: 'gpio_read',
    rate: 'refuse',
    suspends: true,
    errors: ['denied', 'state', 'unsupported', 'io', 'closed'],
    check: 'the pin must be granted (gpio:<pin>:in or gpio:<pin>:out) and configured by the module',
    traps: '',
    make: (ctx) => (pinArg) => {
      const pin = Number(pinArg);
      if (!ctx.grants.allowsGpio(pin, 'any')) return ctx.deny('gpio_read', `pin ${pin} is not granted`);
      const gpio = backend(ctx);
      if (typeof gpio === 'number') return gpio;
      const bad = configured(ctx, pin, 'any');
      if (bad !== undefined) return bad;
      return ctx.wait('gpio_read', { pin }, () => gpio.read(lineOf(ctx, pin)));
    },
  }),
  def({
    name: 'gpio_write',
    rate: 'refuse',
    suspends: true,
    errors: ['invalid', 'denied', 'state', 'unsupported', 'io', 'closed'],
    check: 'the pin must be granted as gpio:<pin>:out and configured as an output',
    traps: '',
    make: (ctx) => (pinArg, levelArg) => {
      const pin = Number(pinArg);
      const level = Number(levelArg);
      if (level !== 0 && level !== 1) return ctx.status('invalid');
      if (!ctx.grants.allowsGpio(pin, 'out')) return ctx.deny('gpio_write', `pin ${pin} is not granted as an output`);
      const gpio = backend(ctx);
      if (typeof gpio === 'number') return gpio;
      const bad = configured(ctx, pin, 'out');
      if (bad !== undefined) return bad;
      return ctx.wait('gpio_write', { pin, level }, async () => {
        await gpio.write(lineOf(ctx, pin), level);
        return OK;
      });
    },
  }),
  def({
    name: 'gpio_wait_edge',
    rate: 'refuse',
    suspends: true,
    errors: ['invalid', 'denied', 'state', 'unsupported', 'timeout', 'busy', 'io', 'closed'],
    check: 'the pin must be granted as gpio:<pin>:in and configured as an input',
    traps: '',
    make: (ctx) => (pinArg, edgeArg, timeoutArg) => {
      const pin = Number(pinArg);
      const edge = EDGES[Number(edgeArg)];
      const timeoutMs = Number(timeoutArg);
      if (edge === undefined || timeoutMs < 0) return ctx.status('invalid');
      if (!ctx.grants.allowsGpio(pin, 'in')) return ctx.deny('gpio_wait_edge', `pin ${pin} is not granted as an input`);
      const gpio = backend(ctx);
      if (typeof gpio === 'number') return gpio;
      const bad = configured(ctx, pin, 'in');
      if (bad !== undefined) return bad;
      return ctx.wait('gpio_wait_edge', { pin, edge, timeoutMs }, async () => {
        const ev = await gpio.waitEdge(lineOf(ctx, pin), edge, { timeoutMs, signal: ctx.abort.signal });
        if (ev === null) return ctx.status('timeout');
        return ev.edge === 'rising' ? 1 : 0;
      });
    },
  }),
];
