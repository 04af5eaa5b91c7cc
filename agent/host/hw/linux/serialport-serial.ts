// The Linux SerialBackend on the serialport package: ports opened by path with a baud rate and
// an exclusive lock, received bytes kept in a bounded buffer that drops its oldest bytes, reads
// that wait up to a timeout, writes that wait until the bytes reached the operating system.

import { SerialPort } from 'serialport';
import { abortError, HardwareError } from '../errors.ts';
import {
  DEFAULT_SERIAL_BUFFER_BYTES,
  MAX_SERIAL_BUFFER_BYTES,
  MAX_SERIAL_WRITE_BYTES,
  SERIAL_BAUD_RATES,
  type SerialBackend,
  type SerialOpenOptions,
  type SerialPortHandle,
  type SerialReadOptions,
  type SerialStats,
  type SerialWriteOptions,
} from '../serial.ts';
import { systemTime, type TimeSource } from '../time.ts';
import { ByteRing } from '../_byte-ring.ts';
import { checkTimeout, waitFor, type Settle } from '../_wait.ts';

export interface SerialportSerialOptions {
  readonly time?: TimeSource;
}

/** The HardwareError for a failed open: the errno says whether the path exists or is taken. */
function openError(path: string, e: Error): HardwareError {
  const m = e.message;
  const code = /ENOENT|No such file/i.test(m) ? 'unknown-port' : /EBUSY|lock|busy/i.test(m) ? 'busy' : 'io';
  return new HardwareError(code, path, `Cannot open serial port "${path}": ${m}`, { cause: e });
}

export class SerialportSerial implements SerialBackend {
  readonly kind = 'linux-serialport';
  private readonly time: TimeSource;
  private readonly open_ = new Map<string, Port>();
  private closed = false;

  constructor(options: SerialportSerialOptions = {}) {
    this.time = options.time ?? systemTime;
  }

  async open(path: string, options: SerialOpenOptions): Promise<SerialPortHandle> {
    if (this.closed) throw new HardwareError('closed', path, `Cannot open serial port "${path}": the backend is closed`);
    checkOptions(path, options);
    if (this.open_.has(path)) throw new HardwareError('busy', path, `Cannot open serial port "${path}": it is already open`);
    const sp = new SerialPort({
      path,
      baudRate: options.baudRate,
      dataBits: options.dataBits ?? 8,
      parity: options.parity ?? 'none',
      stopBits: options.stopBits ?? 1,
      lock: true,
      autoOpen: false,
    });
    const port = new Port(sp, path, options.baudRate, options.bufferBytes ?? DEFAULT_SERIAL_BUFFER_BYTES, this.time, () => this.open_.delete(path));
    this.open_.set(path, port); // reserve the path while opening
    try {
      await new Promise<void>((resolve, reject) => sp.open((e) => (e ? reject(openError(path, e)) : resolve())));
    } catch (e) {
      this.open_.delete(path);
      throw e;
    }
    if (this.closed) {
      await port.close();
      throw new HardwareError('closed', path, `Cannot open serial port "${path}": the backend was closed`);
    }
    return port;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.open_.values()].map((p) => p.close()));
  }
}

function checkOptions(path: string, o: SerialOpenOptions): void {
  const bad = (what: string) => new HardwareError('invalid-argument', path, `Cannot open serial port "${path}": ${what}`);
  if (!SERIAL_BAUD_RATES.includes(o.baudRate)) throw bad(`baud rate ${String(o.baudRate)} is not a standard rate`);
  if (o.dataBits !== undefined && ![5, 6, 7, 8].includes(o.dataBits)) throw bad(`data bits ${String(o.dataBits)} is not 5 to 8`);
  if (o.stopBits !== undefined && o.stopBits !== 1 && o.stopBits !== 2) throw bad(`stop bits ${String(o.stopBits)} is not 1 or 2`);
  if (o.parity !== undefined && !['none', 'even', 'odd'].includes(o.parity)) throw bad(`parity "${String(o.parity)}" is not none, even or odd`);
  const b = o.bufferBytes;
  if (b !== undefined && !(Number.isInteger(b) && b >= 1 && b <= MAX_SERIAL_BUFFER_BYTES)) {
    throw bad(`buffer of ${String(b)} bytes is not between 1 and ${MAX_SERIAL_BUFFER_BYTES}`);
  }
}

class Port implements SerialPortHandle {
  private readonly ring: ByteRing;
  private reader: { max: number; settle: Settle<Uint8Array> } | undefined;
  private writing = false;
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** Why the port went away on its own (unplugged), if it did. */
  private lost: HardwareError | undefined;
  private bytesRead = 0;
  private bytesWritten = 0;

  constructor(
    private readonly sp: SerialPort,
    readonly path: string,
    readonly baudRate: number,
    bufferBytes: number,
    private readonly time: TimeSource,
    private readonly onClosed: () => void,
  ) {
    this.ring = new ByteRing(bufferBytes);
    sp.on('data', (chunk: Buffer) => {
      this.ring.push(chunk);
      const r = this.reader;
      if (r !== undefined) r.settle.resolve(this.take(r.max));
    });
    sp.on('close', (e: unknown) => {
      if (this.state === 'open') {
        this.lost = new HardwareError('io', path, `Serial port "${path}" went away`, { cause: e });
        this.reader?.settle.reject(this.lost);
      }
      this.state = 'closed';
      this.onClosed();
    });
    sp.on('error', (e: Error) => {
      this.lost ??= new HardwareError('io', path, `Serial port "${path}" failed: ${e.message}`, { cause: e });
      this.reader?.settle.reject(this.lost);
    });
  }

  read(maxBytes: number, options: SerialReadOptions): Promise<Uint8Array> {
    try {
      this.check('read from');
      if (!(Number.isInteger(maxBytes) && maxBytes >= 1)) {
        throw new HardwareError('invalid-argument', this.path, `Cannot read ${String(maxBytes)} bytes from "${this.path}": ask for 1 or more`);
      }
      checkTimeout(options.timeoutMs, this.path);
      if (this.reader !== undefined) throw new HardwareError('busy', this.path, `Cannot read from "${this.path}": a read is already waiting`);
      if (options.signal?.aborted) throw abortError(options.signal, this.path);
      if (this.ring.size > 0 || options.timeoutMs === 0) return Promise.resolve(this.take(maxBytes));
    } catch (e) {
      return Promise.reject(e);
    }
    return waitFor<Uint8Array>({
      timers: this.time,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      device: this.path,
      onTimeout: () => ({ value: new Uint8Array(0) }),
      begin: (settle) => {
        const r = { max: maxBytes, settle };
        this.reader = r;
        return () => {
          if (this.reader === r) this.reader = undefined;
        };
      },
    });
  }

  write(data: Uint8Array, options: SerialWriteOptions = {}): Promise<void> {
    try {
      this.check('write to');
      if (data.length > MAX_SERIAL_WRITE_BYTES) {
        throw new HardwareError('invalid-argument', this.path, `Cannot write ${data.length} bytes to "${this.path}" at once: the limit is ${MAX_SERIAL_WRITE_BYTES}`);
      }
      if (this.writing) throw new HardwareError('busy', this.path, `Cannot write to "${this.path}": a write is still running`);
      if (options.signal?.aborted) throw abortError(options.signal, this.path);
    } catch (e) {
      return Promise.reject(e);
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    this.writing = true;
    return waitFor<void>({
      timers: this.time,
      timeoutMs,
      signal: options.signal,
      device: this.path,
      onTimeout: () => ({ error: new HardwareError('timeout', this.path, `Cannot write to "${this.path}": the bytes did not leave within ${timeoutMs} ms`) }),
      begin: (settle) => {
        this.sp.write(Buffer.from(data.buffer, data.byteOffset, data.length), (e) => {
          if (e) settle.reject(new HardwareError('io', this.path, `Cannot write to "${this.path}": ${e.message}`, { cause: e }));
        });
        this.sp.drain((e) => {
          if (e) settle.reject(new HardwareError('io', this.path, `Cannot write to "${this.path}": ${e.message}`, { cause: e }));
          else {
            this.bytesWritten += data.length;
            settle.resolve();
          }
        });
        return () => {
          this.writing = false;
        };
      },
    });
  }

  stats(): SerialStats {
    return { bufferedBytes: this.ring.size, droppedBytes: this.ring.dropped, bytesRead: this.bytesRead, bytesWritten: this.bytesWritten };
  }

  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.reader?.settle.reject(new HardwareError('closed', this.path, `Read from "${this.path}" ended: the port was closed`));
    await new Promise<void>((resolve) => {
      if (!this.sp.isOpen) return resolve();
      this.sp.close(() => resolve());
    });
    this.state = 'closed';
    this.onClosed();
  }

  private take(max: number): Uint8Array {
    const out = this.ring.take(max);
    this.bytesRead += out.length;
    return out;
  }

  private check(verb: string): void {
    if (this.lost !== undefined) throw this.lost;
    if (this.state !== 'open') throw new HardwareError('closed', this.path, `Cannot ${verb} "${this.path}": the port is closed`);
  }
}
