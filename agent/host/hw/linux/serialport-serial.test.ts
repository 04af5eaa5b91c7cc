// Tests of the serialport backend beyond the conformance suite, over socat PTYs: the exclusive
// lock against a second opener, and a port whose far end goes away.

import { afterEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../../../device-sim/serial/pty.ts';
import { HardwareError } from '../errors.ts';
import { SerialportSerial } from './serialport-serial.ts';

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HardwareError);
  return (e as HardwareError).code;
}

describe('SerialportSerial', () => {
  let pty: PtyPair | undefined;
  const backends: SerialportSerial[] = [];
  afterEach(async () => {
    for (const b of backends.splice(0)) await b.close();
    await pty?.close();
  });

  it('a second opener (another backend, as another process would be) gets "busy" from the lock', async () => {
    pty = await openPtyPair();
    const a = new SerialportSerial();
    const b = new SerialportSerial();
    backends.push(a, b);
    const port = await a.open(pty.a, { baudRate: 9600 });
    expect(await codeOf(b.open(pty.a, { baudRate: 9600 }))).toBe('busy');
    await port.close();
    await (await b.open(pty.a, { baudRate: 9600 })).close();
  });

  it('a port whose far end goes away fails its waiting read and later calls with "io"', async () => {
    pty = await openPtyPair();
    const serial = new SerialportSerial();
    backends.push(serial);
    const port = await serial.open(pty.a, { baudRate: 9600 });
    // The handler is attached before the hang-up, so the rejection is never unhandled.
    const settled = port.read(10, { timeoutMs: 20_000 }).then(
      (v) => `resolved ${v.length}`,
      (e: unknown) => (e as HardwareError).code,
    );
    await pty.close(); // socat exits: the PTY is hung up
    const outcome = await settled;
    expect(outcome).toBe('io');
    expect(await codeOf(port.write(Uint8Array.of(1)))).toBe('io');
  });
});
