// Hostile binaries for fleetlet's decoder and validator: structure-aware mutations of valid
// modules (bit flips, byte sets, truncation, insertion and deletion, overlong and too-long LEBs,
// section sizes that lie, huge declared counts, edits inside function bodies with sizes fixed up,
// section reordering, duplication and splicing), each mutant rebuilt from (seed, index) alone.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpecDir } from '../spec/script.ts';
import { generateModule } from './binaryen.ts';
import { mutateInstructions } from './mutate-instr.ts';
import { Prng } from './prng.ts';
import { V8 } from './v8-api.ts';
import { uleb } from './wasm-encode.ts';
import { ByteReader, codeBodies, readSections, type SectionInfo } from './wasm-reader.ts';

export interface CorpusEntry {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * The seed modules: every valid binary of the spec's core folder (`WASM_SPEC_DIR` or
 * `../shared/wasm-spec/core`), sorted by name, then `binaryenSeeds` translate-to-fuzz modules.
 * Valid means V8 accepts it, which holds for exactly the spec's valid core modules.
 */
export function loadCorpus(options: { specDir?: string; binaryenSeeds?: number } = {}): CorpusEntry[] {
  const dir = options.specDir ?? defaultSpecDir();
  const names = readdirSync(dir).filter((f) => f.endsWith('.wasm')).sort();
  if (names.length === 0) throw new Error(`Cannot build the mutation corpus: no .wasm files in "${dir}"`);
  const corpus: CorpusEntry[] = names
    .map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(join(dir, n))) }))
    .filter((e) => V8.validate(e.bytes));
  for (let seed = 1; seed <= (options.binaryenSeeds ?? 8); seed++) {
    const g = generateModule(seed);
    if (g.ok) corpus.push({ name: `binaryen-${seed}`, bytes: g.bytes });
  }
  return corpus;
}

export interface Mutant {
  readonly base: string;
  /** The mutation kinds applied (names from `MUTATION_KINDS`). */
  readonly kinds: readonly string[];
  /** The mutations applied, in order, for reports. */
  readonly ops: readonly string[];
  readonly bytes: Uint8Array;
}

function splice(bytes: Uint8Array, start: number, end: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(bytes.length - (end - start) + insert.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(insert, start);
  out.set(bytes.subarray(end), start + insert.length);
  return out;
}

/** Length of the LEB128 starting at `pos` (up to the end of the input). */
function lebLength(bytes: Uint8Array, pos: number): number {
  let n = 0;
  while (pos + n < bytes.length && ((bytes[pos + n] as number) & 0x80) !== 0) n++;
  return Math.min(n + 1, bytes.length - pos);
}

/** Replaces a section's payload, re-encoding its size. */
function withPayload(bytes: Uint8Array, s: SectionInfo, payload: Uint8Array): Uint8Array {
  return splice(bytes, s.sizeStart, s.end, [...uleb(payload.length), ...payload]);
}

const interesting = [0x00, 0x01, 0x02, 0x0b, 0x40, 0x41, 0x60, 0x6f, 0x70, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0xfc, 0xfd, 0xff];
const hugeCounts = [0xffffffff, 0x7fffffff, 0x10000000, 0x100000, 65536, 65537, 10_000_001];

/** A LEB128 of `value` that is invalid or unusual: padded to 5 bytes, too long, or with stray high bits. */
function oddLeb(value: number, rng: Prng): { bytes: number[]; what: string } {
  const k = rng.int(3);
  if (k === 0) return { bytes: uleb(value, 5), what: 'padded to 5 bytes' };
  if (k === 1) {
    const padded = uleb(value, 5);
    padded[4] = (padded[4] as number) | 0x80;
    return { bytes: [...padded, 0x00], what: '6 bytes long' };
  }
  const padded = uleb(value, 5);
  padded[4] = (padded[4] as number) | (0x10 << rng.int(3));
  return { bytes: padded, what: 'unused bits set in the 5th byte' };
}

type Mutator = (bytes: Uint8Array, rng: Prng, donor: Uint8Array) => { bytes: Uint8Array; op: string } | undefined;

function pickSection(bytes: Uint8Array, rng: Prng, accept: (s: SectionInfo) => boolean = () => true): { all: SectionInfo[]; s: SectionInfo } | undefined {
  const all = readSections(bytes);
  const candidates = all?.filter(accept) ?? [];
  if (all === undefined || candidates.length === 0) return undefined;
  return { all, s: rng.pick(candidates) };
}

const mutators: Record<string, Mutator> = {
  'bit-flip': (bytes, rng) => {
    if (bytes.length === 0) return undefined;
    const out = bytes.slice();
    const at = rng.int(out.length);
    const bit = rng.int(8);
    out[at] = (out[at] as number) ^ (1 << bit);
    return { bytes: out, op: `bit-flip byte ${at} bit ${bit}` };
  },
  'byte-set': (bytes, rng) => {
    if (bytes.length === 0) return undefined;
    const out = bytes.slice();
    const at = rng.int(out.length);
    const v = rng.chance(0.7) ? rng.pick(interesting) : rng.int(256);
    out[at] = v;
    return { bytes: out, op: `byte-set ${at} = 0x${v.toString(16)}` };
  },
  'truncate': (bytes, rng) => {
    const at = rng.int(bytes.length);
    return { bytes: bytes.slice(0, at), op: `truncate to ${at}` };
  },
  'insert': (bytes, rng) => {
    const at = rng.range(Math.min(8, bytes.length), bytes.length);
    const ins = rng.bytes(rng.range(1, 8));
    return { bytes: splice(bytes, at, at, ins), op: `insert ${ins.length} at ${at}` };
  },
  'delete': (bytes, rng) => {
    if (bytes.length <= 8) return undefined;
    const at = rng.range(8, bytes.length - 1);
    const n = rng.range(1, 16);
    return { bytes: splice(bytes, at, Math.min(bytes.length, at + n), []), op: `delete ${n} at ${at}` };
  },
  'section-size-lie': (bytes, rng) => {
    const p = pickSection(bytes, rng);
    if (p === undefined) return undefined;
    const size = p.s.end - p.s.payloadStart;
    const lies = [size + 1, size - 1, size + rng.range(2, 9), Math.max(0, size - rng.range(2, 9)), 0, 0xffffffff, bytes.length];
    const lie = Math.max(0, rng.pick(lies));
    const oldLen = p.s.payloadStart - p.s.sizeStart;
    return { bytes: splice(bytes, p.s.sizeStart, p.s.sizeStart + oldLen, uleb(lie)), op: `section ${p.s.id} size ${size} -> ${lie}` };
  },
  'odd-leb': (bytes, rng) => {
    const p = pickSection(bytes, rng, (s) => s.end > s.payloadStart);
    if (p === undefined) return undefined;
    const { s } = p;
    if (rng.chance(0.5)) {
      // The section size itself.
      const odd = oddLeb(s.end - s.payloadStart, rng);
      return { bytes: splice(bytes, s.sizeStart, s.payloadStart, odd.bytes), op: `section ${s.id} size LEB ${odd.what}` };
    }
    // The first LEB of the payload (a vector count in most sections), with the size fixed up.
    const payload = bytes.slice(s.payloadStart, s.end);
    const len = lebLength(payload, 0);
    const value = readU32(payload, 0);
    if (value === undefined) return undefined;
    const odd = oddLeb(value, rng);
    return { bytes: withPayload(bytes, s, splice(payload, 0, len, odd.bytes)), op: `section ${s.id} first LEB ${odd.what}` };
  },
  'huge-count': (bytes, rng) => {
    const p = pickSection(bytes, rng, (s) => s.id >= 1 && s.id <= 12 && s.id !== 8 && s.end > s.payloadStart);
    if (p === undefined) return undefined;
    const { s } = p;
    const payload = bytes.slice(s.payloadStart, s.end);
    const old = readU32(payload, 0);
    if (old === undefined) return undefined;
    const count = rng.pick([...hugeCounts, old + 1, Math.max(0, old - 1), 0]);
    const out = withPayload(bytes, s, splice(payload, 0, lebLength(payload, 0), uleb(count)));
    return { bytes: out, op: `section ${s.id} count ${old} -> ${count}` };
  },
  'huge-locals': (bytes, rng) => {
    const edit = pickBody(bytes, rng);
    if (edit === undefined) return undefined;
    const body = edit.body;
    const groups = readU32(body, 0);
    if (groups === undefined) return undefined;
    const glen = lebLength(body, 0);
    const replaced = groups === 0 || rng.chance(0.3)
      ? splice(body, 0, glen, [...uleb(groups + 1), ...uleb(rng.pick(hugeCounts)), rng.pick([0x7f, 0x7e, 0x7d, 0x7c, 0x70, 0x6f])])
      : splice(body, glen, glen + lebLength(body, glen), uleb(rng.pick(hugeCounts)));
    return { bytes: edit.rebuild(replaced), op: `function ${edit.index} huge local count` };
  },
  'body-edit': (bytes, rng) => {
    const edit = pickBody(bytes, rng);
    if (edit === undefined || edit.body.length === 0) return undefined;
    const body = edit.body;
    const at = rng.int(body.length);
    const k = rng.int(4);
    let out: Uint8Array;
    let what: string;
    if (k === 0) {
      out = body.slice();
      out[at] = rng.chance(0.5) ? rng.pick(interesting) : rng.int(256);
      what = `byte ${at} = 0x${(out[at] as number).toString(16)}`;
    } else if (k === 1) {
      const n = rng.range(1, 4);
      out = splice(body, at, Math.min(body.length, at + n), []);
      what = `delete ${n} at ${at}`;
    } else {
      const ins = randomInstruction(rng);
      out = splice(body, at, at, ins);
      what = `insert ${ins.map((b) => b.toString(16).padStart(2, '0')).join(' ')} at ${at}`;
    }
    return { bytes: edit.rebuild(out), op: `function ${edit.index} body ${what}` };
  },
  'instruction': (bytes, rng) => {
    const edit = pickBody(bytes, rng);
    if (edit === undefined) return undefined;
    const m = mutateInstructions(edit.body, rng);
    if (m === undefined) return undefined;
    return { bytes: edit.rebuild(m.body), op: `function ${edit.index} ${m.what}` };
  },
  'section-swap': (bytes, rng) => {
    const all = readSections(bytes);
    if (all === undefined || all.length < 2) return undefined;
    const i = rng.int(all.length - 1);
    const a = all[i] as SectionInfo;
    const b = all[i + 1] as SectionInfo;
    const out = splice(bytes, a.start, b.end, [...bytes.subarray(b.start, b.end), ...bytes.subarray(a.start, a.end)]);
    return { bytes: out, op: `swap sections ${a.id} and ${b.id}` };
  },
  'section-duplicate': (bytes, rng) => {
    const p = pickSection(bytes, rng);
    if (p === undefined) return undefined;
    return { bytes: splice(bytes, p.s.end, p.s.end, bytes.subarray(p.s.start, p.s.end)), op: `duplicate section ${p.s.id}` };
  },
  'section-drop': (bytes, rng) => {
    const p = pickSection(bytes, rng);
    if (p === undefined) return undefined;
    return { bytes: splice(bytes, p.s.start, p.s.end, []), op: `drop section ${p.s.id}` };
  },
  'section-splice': (bytes, rng, donor) => {
    const d = pickSection(donor, rng, (s) => s.id !== 0);
    if (d === undefined) return undefined;
    const all = readSections(bytes);
    if (all === undefined) return undefined;
    const same = all.find((s) => s.id === d.s.id);
    const piece = donor.subarray(d.s.start, d.s.end);
    if (same !== undefined) return { bytes: splice(bytes, same.start, same.end, piece), op: `replace section ${d.s.id} from donor` };
    const before = all.find((s) => s.id > d.s.id && s.id !== 0 && s.id !== 12) ?? undefined;
    const at = before?.start ?? bytes.length;
    return { bytes: splice(bytes, at, at, piece), op: `add section ${d.s.id} from donor` };
  },
  'custom-section': (bytes, rng) => {
    const names = ['name', 'custom', '', 'linking', 'producers', '\u00e9t\u00e9'];
    const nameBytes = rng.chance(0.2) ? [0xc0, 0x80] : [...new TextEncoder().encode(rng.pick(names))];
    const content = rng.chance(0.5) ? [...rng.bytes(rng.int(12))] : [1, 4, 1, 0, 1, 0x61];
    const lenLie = rng.chance(0.2) ? rng.range(1, 5) : 0;
    const payload = [...uleb(nameBytes.length + lenLie), ...nameBytes, ...content];
    const all = readSections(bytes) ?? [];
    const at = rng.chance(0.5) || all.length === 0 ? bytes.length : rng.pick(all).start;
    return { bytes: splice(bytes, at, at, [0, ...uleb(payload.length), ...payload]), op: `custom section at ${at}` };
  },
  'header': (bytes, rng) => {
    if (bytes.length < 8) return undefined;
    const out = bytes.slice();
    const at = rng.int(8);
    out[at] = (out[at] as number) ^ (1 << rng.int(8));
    return { bytes: out, op: `header byte ${at}` };
  },
};

/** Weights: most mutations keep the framing so that they reach the validator. */
const weights: [string, number][] = [
  ['bit-flip', 10], ['byte-set', 8], ['truncate', 4], ['insert', 4], ['delete', 4],
  ['section-size-lie', 5], ['odd-leb', 5], ['huge-count', 6], ['huge-locals', 3],
  ['body-edit', 10], ['instruction', 40], ['section-swap', 3], ['section-duplicate', 3], ['section-drop', 3],
  ['section-splice', 6], ['custom-section', 3], ['header', 1],
];
const totalWeight = weights.reduce((a, [, w]) => a + w, 0);

function pickMutator(rng: Prng): string {
  let r = rng.int(totalWeight);
  for (const [name, w] of weights) {
    if (r < w) return name;
    r -= w;
  }
  return 'bit-flip';
}

export const MUTATION_KINDS: readonly string[] = weights.map(([n]) => n);

function readU32(bytes: Uint8Array, pos: number): number | undefined {
  try {
    return new ByteReader(bytes, pos).u32();
  } catch {
    return undefined;
  }
}

/** A function body of the code section, and how to put an edited copy back (sizes re-encoded). */
function pickBody(bytes: Uint8Array, rng: Prng): { index: number; body: Uint8Array; rebuild: (b: Uint8Array) => Uint8Array } | undefined {
  const code = readSections(bytes)?.find((s) => s.id === 10);
  if (code === undefined) return undefined;
  const bodies = codeBodies(bytes, code);
  if (bodies === undefined || bodies.length === 0) return undefined;
  const index = rng.int(bodies.length);
  const b = bodies[index] as (typeof bodies)[number];
  const body = bytes.slice(b.bodyStart, b.end);
  const rebuild = (edited: Uint8Array): Uint8Array => {
    const payload = splice(bytes.slice(code.payloadStart, code.end), b.sizeStart - code.payloadStart, b.end - code.payloadStart, [...uleb(edited.length), ...edited]);
    return withPayload(bytes, code, payload);
  };
  return { index, body, rebuild };
}

/** A plausible instruction with random or edge-case immediates. */
function randomInstruction(rng: Prng): number[] {
  const edgeIndex = (): number[] => uleb(rng.pick([0, 1, 2, 3, 100, 0xffff, 0xffffffff]));
  switch (rng.int(9)) {
    case 0: return [rng.int(256)];
    case 1: return [rng.pick([0x0c, 0x0d, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xd2]), ...edgeIndex()];
    case 2: return [rng.pick([0x02, 0x03, 0x04]), rng.pick([0x40, 0x7f, 0x7c, 0x7b, 0x70, 0x00, 0x05, 0x3f, 0x80])];
    case 3: return [rng.range(0x28, 0x3e), rng.pick([0, 1, 2, 3, 4, 5, 31, 32, 0x40, 0x80]), ...edgeIndex()];
    case 4: return [0xfc, ...uleb(rng.pick([0, 1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100])), ...edgeIndex(), ...edgeIndex()];
    case 5: return [0x0e, ...uleb(rng.pick([0, 1, 2, 0xffffffff])), ...edgeIndex(), ...edgeIndex()];
    case 6: return [0x11, ...edgeIndex(), ...edgeIndex()];
    case 7: return [rng.pick([0x1c, 0x1b]), ...(rng.chance(0.5) ? [1, rng.pick([0x7f, 0x70, 0x7b, 0x40])] : [2, 0x7f, 0x7f])];
    default: return [rng.pick([0x0b, 0x05, 0x00, 0x01, 0x0f, 0x1a, 0x41, 0x42, 0x43, 0x44]), ...rng.bytes(rng.int(9))];
  }
}

/** Mutant `index` of a run with `seed`: one to three mutations of a corpus module. */
export function makeMutant(corpus: readonly CorpusEntry[], seed: number, index: number): Mutant {
  const rng = new Prng(seed, index);
  const base = corpus[rng.int(corpus.length)] as CorpusEntry;
  const donor = corpus[rng.int(corpus.length)] as CorpusEntry;
  let bytes: Uint8Array = base.bytes;
  const ops: string[] = [];
  const kinds: string[] = [];
  const n = rng.chance(0.8) ? 1 : rng.range(2, 3);
  for (let attempts = 0; ops.length < n && attempts < 10; attempts++) {
    const kind = pickMutator(rng);
    const m = (mutators[kind] as Mutator)(bytes, rng, donor.bytes);
    if (m === undefined) continue;
    bytes = m.bytes;
    ops.push(m.op);
    kinds.push(kind);
  }
  if (ops.length === 0) {
    const cut = rng.int(bytes.length);
    bytes = bytes.slice(0, cut);
    ops.push(`truncate to ${cut}`);
    kinds.push('truncate');
  }
  return { base: base.name, kinds, ops, bytes };
}
