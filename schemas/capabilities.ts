// The capability grammar as data (`sensor:<name>:read`, `gpio:<pin>:in|out`, `kv:<size>` ...),
// its parser, and `covers`, the check that a device's grant includes what a manifest requests.

/** Stable reasons (they travel in reports and tests match on them; never rename one). */
export type CapabilityErrorCode =
  /** The text before the first ":" names no capability kind. */
  | 'unknown-kind'
  /** Too many or too few ":"-separated arguments for the kind. */
  | 'wrong-arity'
  /** An argument does not match its type (a pin that is not a number, a size without a unit it knows). */
  | 'bad-argument'
  /** A wildcard `*` in a requested capability (only device grants may use one). */
  | 'wildcard-not-allowed'
  /** A module imports a function that no table row names (see `host-imports.ts`). */
  | 'unknown-import'
  /** A module imports a known function with another type than the table's. */
  | 'signature-mismatch';

/** A capability text that does not parse, or an import the host does not offer. */
export class CapabilityError extends Error {
  override readonly name = 'CapabilityError';
  constructor(
    readonly code: CapabilityErrorCode,
    /** The capability text or the import ("module"."name") concerned. */
    readonly subject: string,
    detail: string,
  ) {
    super(`Invalid capability "${subject}": ${detail}`);
  }
}

export type ArgValue = string | number;

/** One argument type of the grammar: how it parses, and when a granted value covers a requested one. */
export interface ArgType {
  /** Shown in docs and errors ("a pin number 0..1023"). */
  readonly describe: string;
  /** Whether a device grant may write `*` for any value. */
  readonly wildcard: boolean;
  /** The value, or what is wrong with the text. */
  parse(text: string): { ok: true; value: ArgValue } | { ok: false; problem: string };
  covers(granted: ArgValue, requested: ArgValue): boolean;
}

const WILDCARD = '*';
const equal = (g: ArgValue, r: ArgValue): boolean => g === WILDCARD || g === r;

const name: ArgType = {
  describe: 'a name (lowercase letters, digits, "_", ".", "-"; at most 32)',
  wildcard: true,
  parse: (t) => (/^[a-z0-9][a-z0-9_.-]{0,31}$/.test(t) ? { ok: true, value: t } : { ok: false, problem: `"${t}" is not a name (lowercase letters, digits, "_", ".", "-")` }),
  covers: equal,
};

const pin: ArgType = {
  describe: 'a GPIO line number 0..1023',
  wildcard: true,
  parse: (t) => (/^(0|[1-9][0-9]{0,3})$/.test(t) && Number(t) <= 1023 ? { ok: true, value: Number(t) } : { ok: false, problem: `"${t}" is not a pin number 0..1023` }),
  covers: equal,
};

function oneOf(values: readonly string[]): ArgType {
  return {
    describe: values.join(' or '),
    wildcard: false,
    parse: (t) => (values.includes(t) ? { ok: true, value: t } : { ok: false, problem: `"${t}" is not ${values.map((v) => `"${v}"`).join(' or ')}` }),
    covers: (g, r) => g === r,
  };
}

const devicePath: ArgType = {
  describe: 'a device path under /dev (no ":" and no "..")',
  wildcard: true,
  parse: (t) =>
    /^\/dev\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(t) && !t.split('/').includes('..')
      ? { ok: true, value: t }
      : { ok: false, problem: `"${t}" is not a device path under /dev` },
  covers: equal,
};

/** Baud rates a serial port is opened with (termios speeds that Linux USB adapters accept). */
export const BAUD_RATES: readonly number[] = [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];
const baud: ArgType = {
  describe: `a baud rate (${BAUD_RATES.join(', ')})`,
  wildcard: true,
  parse: (t) => (/^[1-9][0-9]*$/.test(t) && BAUD_RATES.includes(Number(t)) ? { ok: true, value: Number(t) } : { ok: false, problem: `"${t}" is not a supported baud rate` }),
  covers: equal,
};

/** An MQTT topic filter below the app's own publish namespace ("alerts/#", "readings/+/raw"). */
const topicFilter: ArgType = {
  describe: 'an MQTT topic filter below the app namespace ("+" a whole level, "#" last)',
  wildcard: false,
  parse(t) {
    if (t.length === 0 || Buffer.byteLength(t) > 128) return { ok: false, problem: 'a topic filter has 1 to 128 bytes' };
    const levels = t.split('/');
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === '#' && i === levels.length - 1) continue;
      if (level === '+') continue;
      if (!/^[A-Za-z0-9._-]+$/.test(level)) return { ok: false, problem: `level "${level}" of "${t}" is neither "+", a final "#", nor letters, digits, ".", "_", "-"` };
    }
    return { ok: true, value: t };
  },
  covers: (g, r) => filterCovers(String(g), String(r)),
};

/** True when every topic that `requested` matches is also matched by `granted`. */
export function filterCovers(granted: string, requested: string): boolean {
  const g = granted.split('/');
  const r = requested.split('/');
  for (let i = 0; i < g.length; i++) {
    if (g[i] === '#') return true;
    if (i >= r.length) return false;
    if (r[i] === '#') return false;
    if (g[i] === '+') continue;
    if (r[i] === '+' || g[i] !== r[i]) return false;
  }
  return g.length === r.length;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KiB: 1024, MiB: 1024 * 1024 };
/** Largest key-value store size a capability may request. */
export const MAX_KV_BYTES = 16 * 1024 * 1024;
const size: ArgType = {
  describe: 'a size in bytes, with an optional unit B, KiB or MiB (at most 16MiB)',
  wildcard: false,
  parse(t) {
    const m = /^([1-9][0-9]{0,8})(B|KiB|MiB)?$/.exec(t);
    const value = m === null ? NaN : Number(m[1]) * SIZE_UNITS[m[2] ?? ''];
    if (!(value <= MAX_KV_BYTES)) return { ok: false, problem: `"${t}" is not a size from 1 to 16MiB (units B, KiB, MiB)` };
    return { ok: true, value };
  },
  covers: (g, r) => Number(r) <= Number(g),
};

/** One kind of capability: its arguments in order, and what it lets a module do. */
export interface CapabilityKind {
  readonly kind: string;
  readonly args: readonly { readonly name: string; readonly type: ArgType }[];
  readonly summary: string;
}

function kind(k: string, summary: string, args: CapabilityKind['args'] = []): CapabilityKind {
  return { kind: k, args, summary };
}

/** The grammar: every capability kind fleetlet knows. */
export const CAPABILITY_KINDS = {
  sensor: kind('sensor', 'read one named sensor', [{ name: 'name', type: name }, { name: 'access', type: oneOf(['read']) }]),
  gpio: kind('gpio', 'use one GPIO line as an input or an output', [{ name: 'pin', type: pin }, { name: 'direction', type: oneOf(['in', 'out']) }]),
  serial: kind('serial', 'open one serial port at one baud rate', [{ name: 'path', type: devicePath }, { name: 'baud', type: baud }]),
  publish: kind('publish', 'publish MQTT messages below the app namespace on topics the filter matches', [{ name: 'filter', type: topicFilter }]),
  kv: kind('kv', 'keep a persistent key-value store of at most this size', [{ name: 'size', type: size }]),
  clock: kind('clock', 'read the wall-clock time'),
  random: kind('random', 'read random bytes'),
} as const satisfies Record<string, CapabilityKind>;

export type CapabilityKindName = keyof typeof CAPABILITY_KINDS;

/** A parsed capability. */
export interface Capability {
  readonly kind: CapabilityKindName;
  readonly args: readonly ArgValue[];
  /** The text it was parsed from. */
  readonly text: string;
}

/** Syntax line of a kind, for docs and errors ("gpio:<pin>:<direction>"). */
export function capabilitySyntax(k: CapabilityKind): string {
  return [k.kind, ...k.args.map((a) => `<${a.name}>`)].join(':');
}

/**
 * Parses a capability. Requests (manifests, app descriptors) may not use `*`; device grants
 * (`{ grant: true }`) may, for the arguments whose type allows it.
 * @throws CapabilityError "unknown-kind", "wrong-arity", "bad-argument" or "wildcard-not-allowed"
 */
export function parseCapability(text: string, opts: { grant?: boolean } = {}): Capability {
  // A serial path has no ":", a topic filter neither: ":" always separates arguments
  const parts = text.split(':');
  const k = Object.hasOwn(CAPABILITY_KINDS, parts[0]) ? (CAPABILITY_KINDS as Record<string, CapabilityKind>)[parts[0]] : undefined;
  if (k === undefined) {
    throw new CapabilityError('unknown-kind', text, `"${parts[0]}" is not a capability kind (${Object.keys(CAPABILITY_KINDS).join(', ')})`);
  }
  if (parts.length - 1 !== k.args.length) {
    throw new CapabilityError('wrong-arity', text, `expected ${capabilitySyntax(k)}`);
  }
  const args = k.args.map((a, i) => {
    const t = parts[i + 1];
    if (t === WILDCARD) {
      if (!a.type.wildcard) throw new CapabilityError('bad-argument', text, `<${a.name}> cannot be "*"`);
      if (opts.grant !== true) throw new CapabilityError('wildcard-not-allowed', text, `a request must name its <${a.name}>; only a device grant may use "*"`);
      return WILDCARD;
    }
    const r = a.type.parse(t);
    if (!r.ok) throw new CapabilityError('bad-argument', text, `<${a.name}>: ${r.problem}`);
    return r.value;
  });
  return { kind: k.kind as CapabilityKindName, args, text };
}

/** What is wrong with a requested capability text, or undefined (a schema grammar check). */
export function capabilityProblem(text: string): string | undefined {
  try {
    parseCapability(text);
    return undefined;
  } catch (e) {
    if (e instanceof CapabilityError) return e.message;
    throw e;
  }
}

/** True when `granted` allows everything `requested` asks for (a device may only narrow a request). */
export function covers(granted: Capability, requested: Capability): boolean {
  if (granted.kind !== requested.kind) return false;
  const k: CapabilityKind = CAPABILITY_KINDS[granted.kind];
  return k.args.every((a, i) => a.type.covers(granted.args[i], requested.args[i]));
}

/** The requested capabilities that no grant covers (empty: everything is granted). */
export function uncovered(grants: readonly Capability[], requests: readonly Capability[]): Capability[] {
  return requests.filter((r) => !grants.some((g) => covers(g, r)));
}
