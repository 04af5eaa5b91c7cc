// Runs the SerialBackend conformance suite against the Linux serialport backend over real
// pseudo-terminals made by socat, with a plain serialport peer on the far end.

import { SerialPort } from 'serialport';
import { openPtyPair } from '../../../device-sim/serial/pty.ts';
import { SerialportSerial } from './linux/serialport-serial.ts';
import { serialConformance } from './serial.conformance.ts';

serialConformance('linux serialport (socat pseudo-terminal)', async () => {
  const pty = await openPtyPair();
  const peer = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => peer.open((e) => (e ? reject(e) : resolve())));
  const received: number[] = [];
  const waiters: (() => void)[] = [];
  peer.on('data', (d: Buffer) => {
    received.push(...d);
    waiters.splice(0).forEach((w) => w());
  });
  return {
    backend: new SerialportSerial(),
    path: pty.a,
    missingPath: `${pty.a}-missing`,
    peerSend: (data) =>
      new Promise<void>((resolve, reject) => {
        peer.write(Buffer.from(data));
        peer.drain((e) => (e ? reject(e) : resolve()));
      }),
    peerReceived: async (n) => {
      while (received.length < n) await new Promise<void>((r) => waiters.push(r));
      return Uint8Array.from(received.slice(0, n));
    },
    cleanup: async () => {
      if (peer.isOpen) await new Promise<void>((r) => peer.close(() => r()));
      await pty.close();
    },
  };
});
