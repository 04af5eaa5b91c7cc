// The engine's typed errors, one class per phase: malformed (decode), invalid (validation),
// unlinkable (imports), trap (with kind and backtrace), resource exhaustion, and engine bugs.

/** A byte sequence that is not a WebAssembly binary: says what and at which byte offset. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly what: string,
    /** Byte offset in the input where the problem was found. */
    readonly offset: number,
  ) {
    super(`${what} at byte ${offset}`);
  }
}

/** A well-formed module that breaks a validation rule of the spec. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly what: string,
    /** Byte offset of the offending instruction or entry. */
    readonly offset: number,
    /** Index (in the function index space) of the function being validated, if any. */
    readonly funcIndex: number | undefined = undefined,
    readonly expected: string | undefined = undefined,
    readonly actual: string | undefined = undefined,
  ) {
    super(
      (funcIndex === undefined ? '' : `In function ${funcIndex}: `) +
        what +
        (expected !== undefined ? `: expected ${expected}, found ${actual ?? 'nothing'}` : '') +
        ` at byte ${offset}`,
    );
  }
}

export type LinkErrorCode = 'unknown-import' | 'incompatible-import' | 'capability-denied';

/** Imports that cannot be satisfied: missing, of the wrong kind or type, or not granted. */
export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    readonly code: LinkErrorCode,
    readonly module: string,
    readonly field: string,
    detail: string,
  ) {
    super(`Cannot link import "${module}" "${field}": ${detail}`);
  }
}

/** Why a WebAssembly execution trapped; values are stable strings (they travel in reports). */
export type TrapKind =
  | 'unreachable'
  | 'memory-out-of-bounds'
  | 'table-out-of-bounds'
  | 'undefined-element'
  | 'uninitialized-element'
  | 'indirect-call-type-mismatch'
  | 'integer-divide-by-zero'
  | 'integer-overflow'
  | 'invalid-conversion-to-integer'
  | 'host-error';

export interface Frame {
  readonly funcIndex: number;
  readonly name: string | undefined;
  /** Byte offset of the instruction in the module binary, when known. */
  readonly offset: number | undefined;
}

const trapText: Record<TrapKind, string> = {
  'unreachable': 'unreachable executed',
  'memory-out-of-bounds': 'out of bounds memory access',
  'table-out-of-bounds': 'out of bounds table access',
  'undefined-element': 'undefined element',
  'uninitialized-element': 'uninitialized element',
  'indirect-call-type-mismatch': 'indirect call type mismatch',
  'integer-divide-by-zero': 'integer divide by zero',
  'integer-overflow': 'integer overflow',
  'invalid-conversion-to-integer': 'invalid conversion to integer',
  'host-error': 'host function failed',
};

/** A WebAssembly trap: the kind and, once it has left the interpreter, a Wasm backtrace. */
export class Trap extends Error {
  override readonly name = 'Trap';
  backtrace: readonly Frame[] = [];
  constructor(
    readonly kind: TrapKind,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail === undefined ? trapText[kind] : `${trapText[kind]}: ${detail}`, options);
  }

  /** The message followed by one line per Wasm frame, innermost first. */
  describe(): string {
    const lines = this.backtrace.map(
      (f) => `  at ${f.name ?? `func[${f.funcIndex}]`}${f.offset === undefined ? '' : ` (@0x${f.offset.toString(16)})`}`,
    );
    return [this.message, ...lines].join('\n');
  }
}

export type ExhaustionKind = 'call-depth' | 'value-stack' | 'memory' | 'table' | 'fuel';

/** A configured resource limit was reached (call depth, value stack, memory or table cap, fuel). */
export class ExhaustionError extends Error {
  override readonly name = 'ExhaustionError';
  backtrace: readonly Frame[] = [];
  constructor(
    readonly kind: ExhaustionKind,
    message: string,
  ) {
    super(message);
  }
}

/** A state that valid code can never reach: a bug in fleetlet's engine, never a guest's fault. */
export class EngineBug extends Error {
  override readonly name = 'EngineBug';
}

export type SnapshotErrorCode = 'corrupt' | 'wrong-module' | 'incompatible' | 'unsupported';

/** A snapshot that cannot be taken or restored: corrupt bytes, another module, or state it cannot hold. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(
    readonly code: SnapshotErrorCode,
    message: string,
  ) {
    super(message);
  }
}
