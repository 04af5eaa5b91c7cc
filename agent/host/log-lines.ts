// Module log output: the sink the agent gives each module's lines to, and the bounded line
// buffer that turns WASI stdout/stderr byte streams into lines.

import type { LogLevel } from '../../schemas/messages/log.ts';

export type { LogLevel } from '../../schemas/messages/log.ts';

/** Longest log line in bytes (the log message schema's limit); longer text is cut. */
export const MAX_LOG_LINE_BYTES = 4096;

/** One line a module wrote. */
export interface LogLine {
  readonly app: string;
  readonly level: LogLevel;
  readonly text: string;
  /** Wall-clock time, ms since the Unix epoch. */
  readonly timeMs: number;
  /** Where it came from: the `log` function, or WASI stdout or stderr. */
  readonly source: 'log' | 'stdout' | 'stderr';
}

/** Where module log lines go (the agent batches them to MQTT; `fleetlet run` prints them). */
export interface LogSink {
  write(line: LogLine): void;
}

/** Cuts text to at most `maxBytes` of UTF-8 without splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const b = Buffer.from(text, 'utf8');
  let end = maxBytes;
  // while the byte after the cut continues a character (10xxxxxx), cut before that character
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}

const decoder = new TextDecoder('utf-8');

/**
 * Collects the bytes of one stream and hands out complete lines. It holds at most `maxBytes`
 * of an unfinished line: a line that grows past that is handed out in pieces of `maxBytes`.
 */
export class LineBuffer {
  private buf: Uint8Array;
  private len = 0;

  constructor(readonly maxBytes: number = MAX_LOG_LINE_BYTES) {
    this.buf = new Uint8Array(maxBytes);
  }

  /** Bytes of an unfinished line held now. */
  get pending(): number {
    return this.len;
  }

  /** Adds bytes; calls `emit` for every line they complete (without the newline). */
  push(bytes: Uint8Array, emit: (line: string) => void): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0x0a) {
        emit(this.take());
        continue;
      }
      if (this.len === this.maxBytes) emit(this.take());
      this.buf[this.len++] = b;
    }
  }

  /** Hands out the unfinished line, if any (at exit or close). */
  flush(emit: (line: string) => void): void {
    if (this.len > 0) emit(this.take());
  }

  private take(): string {
    let n = this.len;
    if (n > 0 && this.buf[n - 1] === 0x0d) n--; // CRLF line ends
    const s = decoder.decode(this.buf.subarray(0, n));
    this.len = 0;
    return s;
  }
}
