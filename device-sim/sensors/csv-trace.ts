// Reading a recorded sensor trace from CSV: a header row, a time column in milliseconds first,
// then one or more value columns; the replay model plays one column back.

/** Why a trace could not be read, with the 1-based line. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `Line ${line}: ${reason}` : reason);
  }
}

export interface TraceSample {
  readonly atMs: number;
  readonly value: number;
}

/**
 * Parses a CSV trace (comma separated, `#` comments and blank lines skipped) and returns the
 * samples of `column` (default: the second column). Times must not decrease.
 * @throws TraceError naming the line
 */
export function parseTrace(text: string, column?: string): TraceSample[] {
  const lines = text.split(/\r?\n/);
  let header: string[] | undefined;
  let col = -1;
  const out: TraceSample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (header === undefined) {
      header = cells;
      if (header.length < 2) throw new TraceError(i + 1, 'the header needs a time column and a value column');
      col = column === undefined ? 1 : header.indexOf(column);
      if (col < 1) throw new TraceError(i + 1, `no value column "${column ?? ''}" in the header (${header.join(', ')})`);
      continue;
    }
    if (cells.length !== header.length) {
      throw new TraceError(i + 1, `expected ${header.length} cells, found ${cells.length}`);
    }
    const atMs = Number(cells[0]);
    const value = Number(cells[col]);
    if (cells[0] === '' || !Number.isFinite(atMs) || atMs < 0) throw new TraceError(i + 1, `bad time "${cells[0]}"`);
    if (cells[col] === '' || !Number.isFinite(value)) throw new TraceError(i + 1, `bad value "${cells[col]}"`);
    const prev = out[out.length - 1];
    if (prev !== undefined && atMs < prev.atMs) throw new TraceError(i + 1, `time ${atMs} is before the previous ${prev.atMs}`);
    out.push({ atMs, value });
  }
  if (out.length === 0) throw new TraceError(0, 'the trace has no samples');
  return out;
}
