// The serial backend interface: open a port by path with a baud rate, read with a timeout and a
// byte cap, write, close. Implemented by linux/ (the serialport package); device-sim's serial
// devices sit on the far side of a pseudo-terminal, so tests use the Linux one.

export type SerialParity = 'none' | 'even' | 'odd';

export interface SerialOpenOptions {
  /** Bits per second, one of SERIAL_BAUD_RATES. */
  readonly baudRate: number;
  readonly dataBits?: 5 | 6 | 7 | 8;
  readonly parity?: SerialParity;
  readonly stopBits?: 1 | 2;
  /**
   * Receive buffer size in bytes (default 4096, at most 1 MiB). When it is full the OLDEST
   * buffered bytes are dropped to make room and counted in `droppedBytes`: a slow reader sees
   * the newest data and learns how much it missed; the agent's memory stays bounded.
   */
  readonly bufferBytes?: number;
}

/** Standard POSIX baud rates, the ones a port may be opened with. */
export const SERIAL_BAUD_RATES: readonly number[] = [
  50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
  230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000,
  3500000, 4000000,
];

export const DEFAULT_SERIAL_BUFFER_BYTES = 4096;
export const MAX_SERIAL_BUFFER_BYTES = 1 << 20;
/** Largest single write: a module cannot queue more than this in the agent at once. */
export const MAX_SERIAL_WRITE_BYTES = 64 * 1024;

export interface SerialReadOptions {
  /** How long to wait for the first byte; 0 returns what is buffered now. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface SerialWriteOptions {
  /** How long the bytes may take to leave (default 5000 ms); then "timeout". */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface SerialStats {
  /** Bytes received and not yet read. */
  readonly bufferedBytes: number;
  /** Bytes received and dropped because the buffer was full. */
  readonly droppedBytes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/** An open port. */
export interface SerialPortHandle {
  readonly path: string;
  readonly baudRate: number;
  /**
   * Resolves as soon as at least one byte is buffered, with up to `maxBytes` of them (oldest
   * first), or with an empty array when `timeoutMs` passes first. One read at a time.
   * @throws HardwareError "invalid-argument" (maxBytes < 1 or timeout < 0), "busy" (a read is
   *   running), "aborted", "io", "closed"
   */
  read(maxBytes: number, options: SerialReadOptions): Promise<Uint8Array>;
  /**
   * Resolves once the bytes were handed to the operating system. One write at a time.
   * @throws HardwareError "invalid-argument" (over MAX_SERIAL_WRITE_BYTES), "busy", "timeout",
   *   "aborted", "io", "closed"
   */
  write(data: Uint8Array, options?: SerialWriteOptions): Promise<void>;
  stats(): SerialStats;
  /** Closes the port (a running read rejects with "closed"); closing twice does nothing. */
  close(): Promise<void>;
}

export interface SerialBackend {
  readonly kind: string;
  /**
   * Opens a port.
   * @throws HardwareError "invalid-argument" (baud rate, framing, buffer size), "unknown-port"
   *   (no such path), "busy" (already open here or locked), "io", "closed"
   */
  open(path: string, options: SerialOpenOptions): Promise<SerialPortHandle>;
  /** Closes every port it opened; later opens fail with "closed". */
  close(): Promise<void>;
}
