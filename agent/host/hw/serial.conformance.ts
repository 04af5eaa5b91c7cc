// The conformance suite every SerialBackend must pass, over a link to a peer the harness
// controls: bytes both ways, read timeouts and byte caps, the bounded buffer, typed errors.

import { describe, expect, it } from 'vitest';
import { HardwareError, type HardwareErrorCode } from './errors.ts';
import type { SerialBackend, SerialPortHandle } from './serial.ts';

export interface SerialHarness {
  readonly backend: SerialBackend;
  /** The port the backend opens; the peer sits on its other end. */
  readonly path: string;
  /** A path where no port exists. */
  readonly missingPath: string;
  /** Sends bytes from the peer to the port. */
  peerSend(data: Uint8Array): Promise<void>;
  /** Resolves with the first `n` bytes the peer received since the harness was made. */
  peerReceived(n: number): Promise<Uint8Array>;
  cleanup(): Promise<void>;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function rejectsWith(p: Promise<unknown>, code: HardwareErrorCode, device?: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, `expected a HardwareError "${code}"`).toBeInstanceOf(HardwareError);
  expect((e as HardwareError).code).toBe(code);
  if (device !== undefined) expect((e as HardwareError).device).toBe(device);
}

/** Reads until `n` bytes arrived (each read waits up to 5 s). */
async function readN(port: SerialPortHandle, n: number): Promise<Uint8Array> {
  const out: number[] = [];
  while (out.length < n) {
    const chunk = await port.read(n - out.length, { timeoutMs: 5000 });
    if (chunk.length === 0) break;
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

/** Waits until `cond` holds, polling every 10 ms for up to 5 s (bytes cross a PTY asynchronously). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Registers the suite under `label`; `make` builds a fresh harness per test. */
export function serialConformance(label: string, make: () => Promise<SerialHarness>): void {
  const withHarness = (fn: (h: SerialHarness) => Promise<void>) => async () => {
    const h = await make();
    try {
      await fn(h);
    } finally {
      await h.backend.close();
      await h.cleanup();
    }
  };

  describe(`SerialBackend conformance: ${label}`, () => {
    it('open gives a port with its path and baud rate; write reaches the peer', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 9600 });
      expect(port.path).toBe(h.path);
      expect(port.baudRate).toBe(9600);
      await port.write(bytes('AT\r\n'));
      expect(text(await h.peerReceived(4))).toBe('AT\r\n');
      expect(port.stats().bytesWritten).toBe(4);
    }));

    it('read returns what the peer sent, at most maxBytes at a time, oldest first', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 115200 });
      await h.peerSend(bytes('hello world'));
      await until(() => port.stats().bufferedBytes === 11);
      expect(text(await port.read(5, { timeoutMs: 1000 }))).toBe('hello');
      expect(text(await port.read(100, { timeoutMs: 1000 }))).toBe(' world');
      expect(port.stats().bytesRead).toBe(11);
    }));

    it('a waiting read resolves as soon as bytes arrive', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 9600 });
      const p = port.read(64, { timeoutMs: 10_000 });
      await h.peerSend(bytes('$'));
      expect(text(await p)).toBe('$');
    }));

    it('read resolves empty when the timeout passes first; timeout 0 does not wait', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 9600 });
      expect((await port.read(10, { timeoutMs: 50 })).length).toBe(0);
      expect((await port.read(10, { timeoutMs: 0 })).length).toBe(0);
    }));

    it('a second read while one waits fails with "busy"', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 9600 });
      const first = port.read(10, { timeoutMs: 10_000 });
      await rejectsWith(port.read(10, { timeoutMs: 10 }), 'busy', h.path);
      await h.peerSend(bytes('x'));
      expect(text(await first)).toBe('x');
    }));

    it('read rejects with "aborted" when its signal fires', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 9600 });
      const ac = new AbortController();
      const p = port.read(10, { timeoutMs: 10_000, signal: ac.signal });
      ac.abort();
      await rejectsWith(p, 'aborted', h.path);
      await rejectsWith(port.read(10, { timeoutMs: 10, signal: ac.signal }), 'aborted');
    }));

    it('a full buffer drops its oldest bytes and counts them', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 9600, bufferBytes: 64 });
      const sent = Uint8Array.from({ length: 200 }, (_, i) => i);
      await h.peerSend(sent);
      await until(() => port.stats().droppedBytes + port.stats().bufferedBytes === 200);
      expect(port.stats()).toMatchObject({ bufferedBytes: 64, droppedBytes: 136 });
      expect([...(await readN(port, 64))]).toEqual([...sent.subarray(136)]);
    }));

    it('open of a path that is already open fails with "busy"', withHarness(async (h) => {
      await h.backend.open(h.path, { baudRate: 9600 });
      await rejectsWith(h.backend.open(h.path, { baudRate: 9600 }), 'busy', h.path);
    }));

    it('open of a missing path fails with "unknown-port"', withHarness(async (h) => {
      await rejectsWith(h.backend.open(h.missingPath, { baudRate: 9600 }), 'unknown-port', h.missingPath);
    }));

    it('bad open options, read sizes and write sizes fail with "invalid-argument"', withHarness(async (h) => {
      await rejectsWith(h.backend.open(h.path, { baudRate: 12345 }), 'invalid-argument', h.path);
      await rejectsWith(h.backend.open(h.path, { baudRate: 9600, bufferBytes: 0 }), 'invalid-argument');
      await rejectsWith(h.backend.open(h.path, { baudRate: 9600, dataBits: 9 as 8 }), 'invalid-argument');
      const port = await h.backend.open(h.path, { baudRate: 9600 });
      await rejectsWith(port.read(0, { timeoutMs: 10 }), 'invalid-argument');
      await rejectsWith(port.read(10, { timeoutMs: -5 }), 'invalid-argument');
      await rejectsWith(port.write(new Uint8Array(64 * 1024 + 1)), 'invalid-argument');
    }));

    it('close ends a waiting read with "closed"; later calls fail with "closed"; the path can be opened again', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 9600 });
      const p = port.read(10, { timeoutMs: 10_000 });
      const ended = rejectsWith(p, 'closed', h.path);
      await port.close();
      await ended;
      await port.close(); // twice does nothing
      await rejectsWith(port.read(1, { timeoutMs: 0 }), 'closed');
      await rejectsWith(port.write(bytes('x')), 'closed');
      const again = await h.backend.open(h.path, { baudRate: 9600 });
      await again.write(bytes('ok'));
      expect(text(await h.peerReceived(2))).toBe('ok');
    }));

    it('backend close closes its ports; later opens fail with "closed"', withHarness(async (h) => {
      const port = await h.backend.open(h.path, { baudRate: 9600 });
      await h.backend.close();
      await rejectsWith(port.read(1, { timeoutMs: 0 }), 'closed');
      await rejectsWith(h.backend.open(h.path, { baudRate: 9600 }), 'closed');
    }));
  });
}
