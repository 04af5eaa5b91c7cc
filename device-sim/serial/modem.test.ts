// Tests of the simulated AT modem through the real Linux serial backend over a socat PTY:
// echo, replies after the injected latency, ERROR for unknown commands, ATE0, custom replies.

import { afterEach, describe, expect, it } from 'vitest';
import type { SerialPortHandle } from '../../agent/host/hw/serial.ts';
import { SerialportSerial } from '../../agent/host/hw/linux/serialport-serial.ts';
import { ManualTime } from '../../agent/host/hw/manual-time.ts';
import { modemDevice } from './modem.ts';
import { openPtyPair, type PtyPair } from './pty.ts';
import { attachDevice, type AttachedDevice } from './sim-device.ts';

/** Reads until the text read ends with `end` (or 5 s pass without bytes). */
async function readUntil(port: SerialPortHandle, end: string): Promise<string> {
  let text = '';
  while (!text.endsWith(end)) {
    const chunk = await port.read(256, { timeoutMs: 5000 });
    if (chunk.length === 0) break;
    text += Buffer.from(chunk).toString('latin1');
  }
  return text;
}

describe('simulated AT modem over a PTY', () => {
  let pty: PtyPair | undefined;
  let device: AttachedDevice | undefined;
  const serial = new SerialportSerial();
  afterEach(async () => {
    await serial.close();
    await device?.detach();
    await pty?.close();
  });

  it('echoes commands and answers each after its latency', async () => {
    pty = await openPtyPair();
    const time = new ManualTime();
    device = await attachDevice(pty.b, modemDevice({ device: 'at-modem', latencyMs: 50, rssi: 17, operator: 'Acme', responses: { 'AT+CGSN': ['123456789012345'] } }, { time }));
    const port = await serial.open(pty.a, { baudRate: 115200 });
    const enc = (s: string) => new TextEncoder().encode(s);
    /** Moves time by the latency once the modem has taken the command (its reply timer is set). */
    const afterLatency = async () => {
      for (let i = 0; i < 500 && time.pendingTimers === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await time.advance(50);
    };

    await port.write(enc('AT+CSQ\r'));
    expect(await readUntil(port, 'AT+CSQ\r')).toBe('AT+CSQ\r');
    expect((await port.read(64, { timeoutMs: 100 })).length).toBe(0); // no reply before the latency
    await afterLatency();
    expect(await readUntil(port, 'OK\r\n')).toBe('\r\n+CSQ: 17,99\r\n\r\nOK\r\n');

    await port.write(enc('at+cops?\r'));
    await afterLatency();
    expect(await readUntil(port, 'OK\r\n')).toBe('at+cops?\r\r\n+COPS: 0,0,"Acme"\r\n\r\nOK\r\n');

    await port.write(enc('AT+FOO\r'));
    await afterLatency();
    expect(await readUntil(port, 'ERROR\r\n')).toBe('AT+FOO\r\r\nERROR\r\n');

    await port.write(enc('ATE0\r'));
    await afterLatency();
    expect(await readUntil(port, 'OK\r\n')).toBe('ATE0\r\r\nOK\r\n');
    await port.write(enc('AT+CGSN\r'));
    await afterLatency();
    expect(await readUntil(port, 'OK\r\n')).toBe('\r\n123456789012345\r\n\r\nOK\r\n');
  });
});
