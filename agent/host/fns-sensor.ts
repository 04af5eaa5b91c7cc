// The `fleetlet:host/v1` sensor function: read one named sensor the app was granted, as an f64.

import { HOST_MODULE } from '../../schemas/host-imports.ts';
import type { HostDef } from './host-def.ts';
import { OK } from './status.ts';

/** Longest sensor name (the capability grammar's). */
const MAX_SENSOR_NAME_BYTES = 32;

export const SENSOR_DEFS: readonly HostDef[] = [
  {
    module: HOST_MODULE,
    name: 'sensor_read',
    rate: 'refuse',
    suspends: true,
    errors: ['invalid', 'fault', 'denied', 'unsupported', 'notFound', 'io', 'closed'],
    check: 'the name must be granted as sensor:<name>:read',
    traps: '',
    make: (ctx) => (nPtr, nLen, outPtr) => {
      const t = ctx.memory.text(Number(nPtr), Number(nLen), MAX_SENSOR_NAME_BYTES);
      if (!t.ok) return t.reason === 'fault' ? ctx.fault('sensor_read', 'the name is outside memory') : ctx.status('invalid');
      const out = Number(outPtr);
      if (!ctx.memory.inBounds(out, 8)) return ctx.fault('sensor_read', 'the f64 result is outside memory');
      const name = t.text;
      if (!ctx.grants.allowsSensor(name)) return ctx.deny('sensor_read', `sensor "${name}" is not granted`);
      const sensors = ctx.device.sensors;
      if (sensors === undefined) return ctx.status('unsupported');
      return ctx.wait('sensor_read', { name }, async () => {
        const r = await sensors.read(name, { signal: ctx.abort.signal });
        // Memory cannot shrink, but check again: the bytes are written after the wait.
        return ctx.memory.writeF64(out, r.value) ? OK : ctx.fault('sensor_read', 'the f64 result is outside memory');
      });
    },
  },
];
