// The device side of a simulated serial link: a serialport on one end of a PTY pair, with the
// bytes the device receives handed to its logic and what it sends written back.

import { SerialPort } from 'serialport';

/** A simulated serial device's logic; `send` writes to the app's side. */
export interface DeviceLogic {
  /** Called once the device end is open. */
  start(send: (text: string | Uint8Array) => void): void;
  /** Bytes the app sent. */
  receive(data: Uint8Array): void;
  /** Stops its timers. */
  stop(): void;
}

/** A running device attached to a PTY path. */
export interface AttachedDevice {
  readonly path: string;
  /** Everything the device wrote, as text, for tests and `fleetlet run` logs. */
  readonly sent: string[];
  detach(): Promise<void>;
}

/**
 * Opens `path` (the device end of a PTY pair) and runs `logic` on it.
 * @throws Error when the path cannot be opened
 */
export async function attachDevice(path: string, logic: DeviceLogic): Promise<AttachedDevice> {
  const sp = new SerialPort({ path, baudRate: 9600, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => sp.open((e) => (e ? reject(e) : resolve())));
  const sent: string[] = [];
  sp.on('data', (d: Buffer) => logic.receive(new Uint8Array(d.buffer, d.byteOffset, d.length)));
  sp.on('error', () => undefined); // the app side going away is not the device's failure
  logic.start((data) => {
    if (!sp.isOpen) return;
    sent.push(typeof data === 'string' ? data : Buffer.from(data).toString('latin1'));
    sp.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data));
  });
  return {
    path,
    sent,
    detach: async () => {
      logic.stop();
      if (sp.isOpen) await new Promise<void>((r) => sp.close(() => r()));
    },
  };
}
