// JavaScript source for each straight-line internal instruction (numeric, memory, moves,
// globals), written against a `Frame` that says how to read and write each frame word; the
// semantics mirror interp.ts case by case (the reference), with operands as literals.
//
// Control flow (branches, fuel, exits to the interpreter) is compile.ts's business.

import { IOp } from '../code.ts';

/**
 * How generated code reaches frame words: word offsets k are relative to the frame pointer (a
 * slot is words k, k+1 with k even). The same emitters run twice: once against a frame that
 * records how each slot is read and written, then against the frame that writes the code, where
 * a slot's value may live in the value stack, in JavaScript variables, or be a literal.
 *
 * Within one instruction, emitters read all operands before they write the result.
 */
export interface Frame {
  /** Expression: word k as an int32. */
  i(k: number): string;
  /** Statement: word k = the int32 expression e. */
  set(k: number, e: string): string;
  /** Expression: the f32 in word k, as a number. */
  f32(k: number): string;
  /** Statement: word k = the f32 of the number expression e (rounded as a Float32Array store). */
  setF32(k: number, e: string): string;
  /** Expression: the f64 in words k, k+1. */
  f64(k: number): string;
  setF64(k: number, e: string): string;
  /** Statement: slot d = slot a, all 64 bits whatever they hold. */
  move(d: number, a: number): string;
  /** Statement: slot d = slot a when the i32 in word c is not zero, else slot b (64 bits). */
  select(d: number, a: number, b: number, c: number): string;
  /** Statements making words k..k+n-1 current in the value stack before a helper reads them there. */
  spill(k: number, n: number): string;
  /** Statements re-reading words k..k+n-1 after a helper wrote them in the value stack. */
  reload(k: number, n: number): string;
  /** The value of word k when it is a constant of the function (never written), else undefined. */
  konst(k: number): number | undefined;
  /** Expression: the value-stack index of word k, for helpers that take `(S, index)`. */
  at(k: number): string;
  /** The memory's DataView (records that the function uses memory). */
  mem(): string;
  /** Expression: true when an access of `bytes` bytes at address expression `ea` is out of bounds. */
  outOfBounds(ea: string, bytes: number): string;
  /** The `Int32Array` of global `idx`'s two words. */
  global(idx: number): string;
  /**
   * Statement: when `cond` holds, the instruction at pc traps: hand it to the interpreter, which
   * executes it again from the value stack and traps there itself (so the trap kind, its code
   * index and its backtrace are the interpreter's own).
   */
  trapIf(cond: string, pc: number): string;
}

type Emit = (f: Frame, c: Int32Array, pc: number) => string;

const EMIT: (Emit | undefined)[] = new Array(256);

function def(op: number, e: Emit): void {
  EMIT[op] = e;
}

// ---- i32 -------------------------------------------------------------------------------

/** `d a b` with an int32 result of a one-expression operator. */
function i32Bin(op: number, expr: (x: string, y: string) => string): void {
  def(op, (f, c, pc) => f.set(c[pc + 1]!, expr(f.i(c[pc + 2]!), f.i(c[pc + 3]!))));
}

function i32Un(op: number, expr: (x: string) => string): void {
  def(op, (f, c, pc) => f.set(c[pc + 1]!, expr(f.i(c[pc + 2]!))));
}

/** Same operands, but x and y are each used more than once: read them once into constants. */
function i32Bin2(op: number, body: (x: string, y: string) => string): void {
  def(op, (f, c, pc) => `{ const x = ${f.i(c[pc + 2]!)}, y = ${f.i(c[pc + 3]!)}; ${f.set(c[pc + 1]!, body('x', 'y'))} }`);
}

i32Un(0x45, (x) => `${x} === 0 ? 1 : 0`);
i32Bin(0x46, (x, y) => `${x} === ${y} ? 1 : 0`);
i32Bin(0x47, (x, y) => `${x} !== ${y} ? 1 : 0`);
i32Bin(0x48, (x, y) => `${x} < ${y} ? 1 : 0`);
i32Bin(0x49, (x, y) => `(${x} >>> 0) < (${y} >>> 0) ? 1 : 0`);
i32Bin(0x4a, (x, y) => `${x} > ${y} ? 1 : 0`);
i32Bin(0x4b, (x, y) => `(${x} >>> 0) > (${y} >>> 0) ? 1 : 0`);
i32Bin(0x4c, (x, y) => `${x} <= ${y} ? 1 : 0`);
i32Bin(0x4d, (x, y) => `(${x} >>> 0) <= (${y} >>> 0) ? 1 : 0`);
i32Bin(0x4e, (x, y) => `${x} >= ${y} ? 1 : 0`);
i32Bin(0x4f, (x, y) => `(${x} >>> 0) >= (${y} >>> 0) ? 1 : 0`);
i32Un(0x67, (x) => `Math.clz32(${x})`);
def(0x68, (f, c, pc) => `{ const x = ${f.i(c[pc + 2]!)}; ${f.set(c[pc + 1]!, 'x === 0 ? 32 : 31 - Math.clz32(x & -x)')} }`);
i32Un(0x69, (x) => `popcnt32(${x})`);
i32Bin(0x6a, (x, y) => `(${x} + ${y}) | 0`);
i32Bin(0x6b, (x, y) => `(${x} - ${y}) | 0`);
i32Bin(0x6c, (x, y) => `Math.imul(${x}, ${y})`);
def(0x6d, (f, c, pc) =>
  `{ const x = ${f.i(c[pc + 2]!)}, y = ${f.i(c[pc + 3]!)}; ${f.trapIf('y === 0 || (x === -2147483648 && y === -1)', pc)} ${f.set(c[pc + 1]!, '(x / y) | 0')} }`);
def(0x6e, (f, c, pc) =>
  `{ const x = ${f.i(c[pc + 2]!)}, y = ${f.i(c[pc + 3]!)}; ${f.trapIf('y === 0', pc)} ${f.set(c[pc + 1]!, '((x >>> 0) / (y >>> 0)) | 0')} }`);
def(0x6f, (f, c, pc) =>
  `{ const x = ${f.i(c[pc + 2]!)}, y = ${f.i(c[pc + 3]!)}; ${f.trapIf('y === 0', pc)} ${f.set(c[pc + 1]!, '(x % y) | 0')} }`);
def(0x70, (f, c, pc) =>
  `{ const x = ${f.i(c[pc + 2]!)}, y = ${f.i(c[pc + 3]!)}; ${f.trapIf('y === 0', pc)} ${f.set(c[pc + 1]!, '((x >>> 0) % (y >>> 0)) | 0')} }`);
i32Bin(0x71, (x, y) => `${x} & ${y}`);
i32Bin(0x72, (x, y) => `${x} | ${y}`);
i32Bin(0x73, (x, y) => `${x} ^ ${y}`);
i32Bin(0x74, (x, y) => `${x} << ${y}`);
i32Bin(0x75, (x, y) => `${x} >> ${y}`);
i32Bin(0x76, (x, y) => `(${x} >>> ${y}) | 0`);
i32Bin2(0x77, (x, y) => `(${x} << ${y}) | (${x} >>> (32 - (${y} & 31)))`);
i32Bin2(0x78, (x, y) => `(${x} >>> ${y}) | (${x} << (32 - (${y} & 31)))`);

// ---- i64: two words, low first -----------------------------------------------------------

/** Reads the operands' words into constants xl, xh (and yl, yh), then runs body. */
function i64Read(f: Frame, a: number, b: number | undefined, body: string): string {
  const ys = b === undefined ? '' : `, yl = ${f.i(b)}, yh = ${f.i(b + 1)}`;
  return `{ const xl = ${f.i(a)}, xh = ${f.i(a + 1)}${ys}; ${body} }`;
}

/** `d a b` i64 comparison producing an i32. */
function i64Cmp(op: number, cond: string): void {
  def(op, (f, c, pc) => i64Read(f, c[pc + 2]!, c[pc + 3]!, f.set(c[pc + 1]!, `${cond} ? 1 : 0`)));
}

/** Writes the i64 (lo, hi) expressions to words d, d+1 (all inputs were read before). */
function set64(f: Frame, d: number, lo: string, hi: string): string {
  return `${f.set(d, lo)} ${f.set(d + 1, hi)}`;
}

def(0x50, (f, c, pc) => {
  const a = c[pc + 2]!;
  return f.set(c[pc + 1]!, `(${f.i(a)} | ${f.i(a + 1)}) === 0 ? 1 : 0`);
});
i64Cmp(0x51, 'xl === yl && xh === yh');
i64Cmp(0x52, 'xl !== yl || xh !== yh');
i64Cmp(0x53, 'xh < yh || (xh === yh && (xl >>> 0) < (yl >>> 0))');
i64Cmp(0x54, '(xh >>> 0) < (yh >>> 0) || (xh === yh && (xl >>> 0) < (yl >>> 0))');
i64Cmp(0x55, 'xh > yh || (xh === yh && (xl >>> 0) > (yl >>> 0))');
i64Cmp(0x56, '(xh >>> 0) > (yh >>> 0) || (xh === yh && (xl >>> 0) > (yl >>> 0))');
i64Cmp(0x57, 'xh < yh || (xh === yh && (xl >>> 0) <= (yl >>> 0))');
i64Cmp(0x58, '(xh >>> 0) < (yh >>> 0) || (xh === yh && (xl >>> 0) <= (yl >>> 0))');
i64Cmp(0x59, 'xh > yh || (xh === yh && (xl >>> 0) >= (yl >>> 0))');
i64Cmp(0x5a, '(xh >>> 0) > (yh >>> 0) || (xh === yh && (xl >>> 0) >= (yl >>> 0))');

def(0x79, (f, c, pc) => i64Read(f, c[pc + 2]!, undefined, set64(f, c[pc + 1]!, 'xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl)', '0')));
def(0x7a, (f, c, pc) => i64Read(f, c[pc + 2]!, undefined,
  set64(f, c[pc + 1]!, 'xl !== 0 ? 31 - Math.clz32(xl & -xl) : xh !== 0 ? 63 - Math.clz32(xh & -xh) : 64', '0')));
def(0x7b, (f, c, pc) => i64Read(f, c[pc + 2]!, undefined, set64(f, c[pc + 1]!, 'popcnt32(xl) + popcnt32(xh)', '0')));
def(0x7c, (f, c, pc) => i64Read(f, c[pc + 2]!, c[pc + 3]!,
  `const lo = (xl + yl) | 0; ${set64(f, c[pc + 1]!, 'lo', '(xh + yh + ((lo >>> 0) < (xl >>> 0) ? 1 : 0)) | 0')}`));
def(0x7d, (f, c, pc) => i64Read(f, c[pc + 2]!, c[pc + 3]!,
  set64(f, c[pc + 1]!, '(xl - yl) | 0', '(xh - yh - ((xl >>> 0) < (yl >>> 0) ? 1 : 0)) | 0')));
def(0x7e, (f, c, pc) => i64Read(f, c[pc + 2]!, c[pc + 3]!,
  set64(f, c[pc + 1]!, 'Math.imul(xl, yl)', '(mulHi32(xl, yl) + Math.imul(xl, yh) + Math.imul(xh, yl)) | 0')));
def(0x83, (f, c, pc) => i64Read(f, c[pc + 2]!, c[pc + 3]!, set64(f, c[pc + 1]!, 'xl & yl', 'xh & yh')));
def(0x84, (f, c, pc) => i64Read(f, c[pc + 2]!, c[pc + 3]!, set64(f, c[pc + 1]!, 'xl | yl', 'xh | yh')));
def(0x85, (f, c, pc) => i64Read(f, c[pc + 2]!, c[pc + 3]!, set64(f, c[pc + 1]!, 'xl ^ yl', 'xh ^ yh')));

/**
 * `d a b` i64 division through the interpreter's helper, which works on the value stack: the
 * trapping cases are tested first (the interpreter then traps), then spill, call, reload.
 */
function i64Div(op: number, name: string, traps: string): void {
  def(op, (f, c, pc) => {
    const d = c[pc + 1]!, a = c[pc + 2]!, b = c[pc + 3]!;
    const test = i64Read(f, a, b, f.trapIf(traps, pc));
    return `${test} ${f.spill(a, 2)} ${f.spill(b, 2)} ${name}(S, ${f.at(d)}, ${f.at(a)}, ${f.at(b)}); ${f.reload(d, 2)}`;
  });
}

i64Div(0x7f, 'i64DivS', '(yl | yh) === 0 || (xl === 0 && xh === -2147483648 && yl === -1 && yh === -1)');
i64Div(0x80, 'i64DivU', '(yl | yh) === 0');
i64Div(0x81, 'i64RemS', '(yl | yh) === 0');
i64Div(0x82, 'i64RemU', '(yl | yh) === 0');

/** Shifts and rotations by a constant count are straight code; by a variable one, the helper. */
function i64Shift(op: number, name: string, byConst: (k: number) => [string, string]): void {
  def(op, (f, c, pc) => {
    const d = c[pc + 1]!, a = c[pc + 2]!, b = c[pc + 3]!;
    const count = f.konst(b);
    if (count === undefined) {
      return `${f.spill(a, 2)} ${f.spill(b, 2)} ${name}(S, ${f.at(d)}, ${f.at(a)}, ${f.at(b)}); ${f.reload(d, 2)}`;
    }
    const [lo, hi] = byConst(count & 63);
    return i64Read(f, a, undefined, set64(f, d, lo, hi));
  });
}

i64Shift(0x86, 'i64Shl', (k) => k === 0 ? ['xl', 'xh'] : k < 32 ? [`xl << ${k}`, `(xh << ${k}) | (xl >>> ${32 - k})`] : ['0', `xl << ${k - 32}`]);
i64Shift(0x87, 'i64ShrS', (k) => k === 0 ? ['xl', 'xh'] : k < 32 ? [`(xl >>> ${k}) | (xh << ${32 - k})`, `xh >> ${k}`] : [`xh >> ${k - 32}`, 'xh >> 31']);
i64Shift(0x88, 'i64ShrU', (k) => k === 0 ? ['xl', 'xh'] : k < 32 ? [`(xl >>> ${k}) | (xh << ${32 - k})`, `(xh >>> ${k}) | 0`] : [`(xh >>> ${k - 32}) | 0`, '0']);
function rotl(k: number): [string, string] {
  const [x, y] = k < 32 ? ['xl', 'xh'] : ['xh', 'xl'];
  const j = k & 31;
  return j === 0 ? [x, y] : [`(${x} << ${j}) | (${y} >>> ${32 - j})`, `(${y} << ${j}) | (${x} >>> ${32 - j})`];
}
i64Shift(0x89, 'i64Rotl', rotl);
i64Shift(0x8a, 'i64Rotr', (k) => rotl((64 - k) & 63));

// ---- floats ------------------------------------------------------------------------------

function f32Un(op: number, expr: (x: string) => string): void {
  def(op, (f, c, pc) => f.setF32(c[pc + 1]!, expr(f.f32(c[pc + 2]!))));
}
function f32Bin(op: number, expr: (x: string, y: string) => string): void {
  def(op, (f, c, pc) => f.setF32(c[pc + 1]!, expr(f.f32(c[pc + 2]!), f.f32(c[pc + 3]!))));
}
function f64Un(op: number, expr: (x: string) => string): void {
  def(op, (f, c, pc) => f.setF64(c[pc + 1]!, expr(f.f64(c[pc + 2]!))));
}
function f64Bin(op: number, expr: (x: string, y: string) => string): void {
  def(op, (f, c, pc) => f.setF64(c[pc + 1]!, expr(f.f64(c[pc + 2]!), f.f64(c[pc + 3]!))));
}
function fCmp(op: number, wide: boolean, rel: string): void {
  def(op, (f, c, pc) => {
    const x = wide ? f.f64(c[pc + 2]!) : f.f32(c[pc + 2]!), y = wide ? f.f64(c[pc + 3]!) : f.f32(c[pc + 3]!);
    return f.set(c[pc + 1]!, `${x} ${rel} ${y} ? 1 : 0`);
  });
}

fCmp(0x5b, false, '==='); fCmp(0x5c, false, '!=='); fCmp(0x5d, false, '<');
fCmp(0x5e, false, '>'); fCmp(0x5f, false, '<='); fCmp(0x60, false, '>=');
fCmp(0x61, true, '==='); fCmp(0x62, true, '!=='); fCmp(0x63, true, '<');
fCmp(0x64, true, '>'); fCmp(0x65, true, '<='); fCmp(0x66, true, '>=');

i32Un(0x8b, (x) => `${x} & 0x7fffffff`);
i32Un(0x8c, (x) => `${x} ^ -0x80000000`);
f32Un(0x8d, (x) => `Math.ceil(${x})`);
f32Un(0x8e, (x) => `Math.floor(${x})`);
f32Un(0x8f, (x) => `Math.trunc(${x})`);
f32Un(0x90, (x) => `fNearest(${x})`);
f32Un(0x91, (x) => `Math.sqrt(${x})`);
f32Bin(0x92, (x, y) => `${x} + ${y}`);
f32Bin(0x93, (x, y) => `${x} - ${y}`);
f32Bin(0x94, (x, y) => `${x} * ${y}`);
f32Bin(0x95, (x, y) => `${x} / ${y}`);
f32Bin(0x96, (x, y) => `fMin(${x}, ${y})`);
f32Bin(0x97, (x, y) => `fMax(${x}, ${y})`);
i32Bin(0x98, (x, y) => `(${x} & 0x7fffffff) | (${y} & -0x80000000)`);

def(0x99, (f, c, pc) => i64Read(f, c[pc + 2]!, undefined, set64(f, c[pc + 1]!, 'xl', 'xh & 0x7fffffff')));
def(0x9a, (f, c, pc) => i64Read(f, c[pc + 2]!, undefined, set64(f, c[pc + 1]!, 'xl', 'xh ^ -0x80000000')));
/** V8 passes a signalling NaN through Math.ceil and friends: NaN becomes the canonical one, as in interp.ts. */
function f64Round(op: number, fn: string): void {
  def(op, (f, c, pc) => `{ const x = ${f.f64(c[pc + 2]!)}; ${f.setF64(c[pc + 1]!, `x === x ? ${fn}(x) : NaN`)} }`);
}
f64Round(0x9b, 'Math.ceil');
f64Round(0x9c, 'Math.floor');
f64Round(0x9d, 'Math.trunc');
f64Un(0x9e, (x) => `fNearest(${x})`);
f64Un(0x9f, (x) => `Math.sqrt(${x})`);
f64Bin(0xa0, (x, y) => `${x} + ${y}`);
f64Bin(0xa1, (x, y) => `${x} - ${y}`);
f64Bin(0xa2, (x, y) => `${x} * ${y}`);
f64Bin(0xa3, (x, y) => `${x} / ${y}`);
f64Bin(0xa4, (x, y) => `fMin(${x}, ${y})`);
f64Bin(0xa5, (x, y) => `fMax(${x}, ${y})`);
def(0xa6, (f, c, pc) => {
  const a = c[pc + 2]!, b = c[pc + 3]!;
  return `{ const lo = ${f.i(a)}, hi = ${f.i(a + 1)}, sign = ${f.i(b + 1)}; ${set64(f, c[pc + 1]!, 'lo', '(hi & 0x7fffffff) | (sign & -0x80000000)')} }`;
});

// ---- conversions -------------------------------------------------------------------------

i32Un(0xa7, (x) => x);
/** Trapping float-to-i32 truncations: out of range (or NaN) leaves it to the interpreter, which traps. */
function i32Trunc(op: number, wide: boolean, lo: string, hi: string): void {
  def(op, (f, c, pc) => {
    const x = wide ? f.f64(c[pc + 2]!) : f.f32(c[pc + 2]!);
    return `{ const x = ${x}; ${f.trapIf(`!(x > ${lo} && x < ${hi})`, pc)} ${f.set(c[pc + 1]!, 'x | 0')} }`;
  });
}
i32Trunc(0xa8, false, '-2147483649', '2147483648');
i32Trunc(0xa9, false, '-1', '4294967296');
i32Trunc(0xaa, true, '-2147483649', '2147483648');
i32Trunc(0xab, true, '-1', '4294967296');
def(0xac, (f, c, pc) => `{ const x = ${f.i(c[pc + 2]!)}; ${set64(f, c[pc + 1]!, 'x', 'x >> 31')} }`);
def(0xad, (f, c, pc) => `{ const x = ${f.i(c[pc + 2]!)}; ${set64(f, c[pc + 1]!, 'x', '0')} }`);
/**
 * Float to i64 through the interpreter's helpers, which write the value stack; `range` is the
 * condition under which a trapping truncation has a result (else the interpreter traps).
 */
function i64FromFloat(op: number, wide: boolean, name: string, range: string | undefined): void {
  def(op, (f, c, pc) => {
    const d = c[pc + 1]!, x = wide ? f.f64(c[pc + 2]!) : f.f32(c[pc + 2]!);
    const test = range === undefined ? '' : f.trapIf(`!(${range})`, pc);
    return `{ const x = ${x}; ${test} ${name}(S, ${f.at(d)}, x); ${f.reload(d, 2)} }`;
  });
}
const SIGNED63 = 'x >= -9223372036854775808 && x < 9223372036854775808';
const UNSIGNED64 = 'x > -1 && x < 18446744073709551616';
i64FromFloat(0xae, false, 'i64TruncF64S', SIGNED63);
i64FromFloat(0xaf, false, 'i64TruncF64U', UNSIGNED64);
i64FromFloat(0xb0, true, 'i64TruncF64S', SIGNED63);
i64FromFloat(0xb1, true, 'i64TruncF64U', UNSIGNED64);
def(0xb2, (f, c, pc) => f.setF32(c[pc + 1]!, f.i(c[pc + 2]!)));
def(0xb3, (f, c, pc) => f.setF32(c[pc + 1]!, `${f.i(c[pc + 2]!)} >>> 0`));
def(0xb4, (f, c, pc) => { const a = c[pc + 2]!; return f.setF32(c[pc + 1]!, `f32ConvertI64S(${f.i(a)}, ${f.i(a + 1)})`); });
def(0xb5, (f, c, pc) => { const a = c[pc + 2]!; return f.setF32(c[pc + 1]!, `f32ConvertI64U(${f.i(a)}, ${f.i(a + 1)})`); });
def(0xb6, (f, c, pc) => f.setF32(c[pc + 1]!, f.f64(c[pc + 2]!)));
def(0xb7, (f, c, pc) => f.setF64(c[pc + 1]!, f.i(c[pc + 2]!)));
def(0xb8, (f, c, pc) => f.setF64(c[pc + 1]!, `${f.i(c[pc + 2]!)} >>> 0`));
def(0xb9, (f, c, pc) => { const a = c[pc + 2]!; return f.setF64(c[pc + 1]!, `f64ConvertI64S(${f.i(a)}, ${f.i(a + 1)})`); });
def(0xba, (f, c, pc) => { const a = c[pc + 2]!; return f.setF64(c[pc + 1]!, `f64ConvertI64U(${f.i(a)}, ${f.i(a + 1)})`); });
def(0xbb, (f, c, pc) => f.setF64(c[pc + 1]!, f.f32(c[pc + 2]!)));
i32Un(0xbc, (x) => x);
def(0xbd, (f, c, pc) => i64Read(f, c[pc + 2]!, undefined, set64(f, c[pc + 1]!, 'xl', 'xh')));
i32Un(0xbe, (x) => x);
def(0xbf, (f, c, pc) => i64Read(f, c[pc + 2]!, undefined, set64(f, c[pc + 1]!, 'xl', 'xh')));
i32Un(0xc0, (x) => `(${x} << 24) >> 24`);
i32Un(0xc1, (x) => `(${x} << 16) >> 16`);
def(0xc2, (f, c, pc) => `{ const x = (${f.i(c[pc + 2]!)} << 24) >> 24; ${set64(f, c[pc + 1]!, 'x', 'x >> 31')} }`);
def(0xc3, (f, c, pc) => `{ const x = (${f.i(c[pc + 2]!)} << 16) >> 16; ${set64(f, c[pc + 1]!, 'x', 'x >> 31')} }`);
def(0xc4, (f, c, pc) => `{ const x = ${f.i(c[pc + 2]!)}; ${set64(f, c[pc + 1]!, 'x', 'x >> 31')} }`);
def(0xe0, (f, c, pc) => f.set(c[pc + 1]!, `i32TruncSatF64S(${f.f32(c[pc + 2]!)})`));
def(0xe1, (f, c, pc) => f.set(c[pc + 1]!, `i32TruncSatF64U(${f.f32(c[pc + 2]!)})`));
def(0xe2, (f, c, pc) => f.set(c[pc + 1]!, `i32TruncSatF64S(${f.f64(c[pc + 2]!)})`));
def(0xe3, (f, c, pc) => f.set(c[pc + 1]!, `i32TruncSatF64U(${f.f64(c[pc + 2]!)})`));
i64FromFloat(0xe4, false, 'i64TruncSatF64S', undefined);
i64FromFloat(0xe5, false, 'i64TruncSatF64U', undefined);
i64FromFloat(0xe6, true, 'i64TruncSatF64S', undefined);
i64FromFloat(0xe7, true, 'i64TruncSatF64U', undefined);

// ---- memory: `d a off` loads, `a v off` stores; the DataView bounds check is the Wasm one ------

/** The effective address of `a + off` (both unsigned), as an expression. */
function ea(f: Frame, a: number, off: number): string {
  const u = off >>> 0;
  return u === 0 ? `(${f.i(a)} >>> 0)` : `(${f.i(a)} >>> 0) + ${u}`;
}

/**
 * A load or store of `bytes` bytes at `a + off`: binds `ea`, tests the bounds (out of bounds,
 * the interpreter traps), then runs `body`.
 */
function access(f: Frame, pc: number, a: number, off: number, bytes: number, body: string): string {
  return `{ const ea = ${ea(f, a, off)}; ${f.trapIf(f.outOfBounds('ea', bytes), pc)} ${body} }`;
}

/** `d a off` load of at most 32 bits: `read(dv)` is the DataView call on `ea`. */
function load32(op: number, bytes: number, read: (m: string) => string): void {
  def(op, (f, c, pc) => access(f, pc, c[pc + 2]!, c[pc + 3]!, bytes, f.set(c[pc + 1]!, read(f.mem()))));
}
load32(0x28, 4, (m) => `${m}.getInt32(ea, true)`);
load32(0x2a, 4, (m) => `${m}.getInt32(ea, true)`);
load32(0x2c, 1, (m) => `${m}.getInt8(ea)`);
load32(0x2d, 1, (m) => `${m}.getUint8(ea)`);
load32(0x2e, 2, (m) => `${m}.getInt16(ea, true)`);
load32(0x2f, 2, (m) => `${m}.getUint16(ea, true)`);
/** `d a off` load extended to an i64. */
function loadWide(op: number, bytes: number, read: (m: string) => string, signed: boolean): void {
  def(op, (f, c, pc) => access(f, pc, c[pc + 2]!, c[pc + 3]!, bytes,
    `const x = ${read(f.mem())}; ${set64(f, c[pc + 1]!, 'x', signed ? 'x >> 31' : '0')}`));
}
loadWide(0x30, 1, (m) => `${m}.getInt8(ea)`, true);
loadWide(0x31, 1, (m) => `${m}.getUint8(ea)`, false);
loadWide(0x32, 2, (m) => `${m}.getInt16(ea, true)`, true);
loadWide(0x33, 2, (m) => `${m}.getUint16(ea, true)`, false);
loadWide(0x34, 4, (m) => `${m}.getInt32(ea, true)`, true);
loadWide(0x35, 4, (m) => `${m}.getInt32(ea, true)`, false);
def(0x29, (f, c, pc) => {
  const m = f.mem();
  return access(f, pc, c[pc + 2]!, c[pc + 3]!, 8, `const lo = ${m}.getInt32(ea, true), hi = ${m}.getInt32(ea + 4, true); ${set64(f, c[pc + 1]!, 'lo', 'hi')}`);
});
// f64 loads and stores move the value as a double, as the interpreter does: DataView and typed
// array float accesses keep every bit pattern, NaNs included.
def(0x2b, (f, c, pc) => access(f, pc, c[pc + 2]!, c[pc + 3]!, 8, f.setF64(c[pc + 1]!, `${f.mem()}.getFloat64(ea, true)`)));

/** `a v off` store of at most 32 bits: `write(dv, v)` is the DataView call on `ea`. */
function store32(op: number, bytes: number, write: (m: string, v: string) => string): void {
  def(op, (f, c, pc) => {
    const v = f.i(c[pc + 2]!);
    return access(f, pc, c[pc + 1]!, c[pc + 3]!, bytes, `${write(f.mem(), v)};`);
  });
}
store32(0x36, 4, (m, v) => `${m}.setInt32(ea, ${v}, true)`);
store32(0x38, 4, (m, v) => `${m}.setInt32(ea, ${v}, true)`);
store32(0x3a, 1, (m, v) => `${m}.setInt8(ea, ${v})`);
store32(0x3b, 2, (m, v) => `${m}.setInt16(ea, ${v}, true)`);
store32(0x3c, 1, (m, v) => `${m}.setInt8(ea, ${v})`);
store32(0x3d, 2, (m, v) => `${m}.setInt16(ea, ${v}, true)`);
store32(0x3e, 4, (m, v) => `${m}.setInt32(ea, ${v}, true)`);
def(0x37, (f, c, pc) => {
  const v = c[pc + 2]!, lo = f.i(v), hi = f.i(v + 1), m = f.mem();
  return access(f, pc, c[pc + 1]!, c[pc + 3]!, 8, `${m}.setInt32(ea + 4, ${hi}, true); ${m}.setInt32(ea, ${lo}, true);`);
});
def(0x39, (f, c, pc) => {
  const v = f.f64(c[pc + 2]!);
  return access(f, pc, c[pc + 1]!, c[pc + 3]!, 8, `${f.mem()}.setFloat64(ea, ${v}, true);`);
});

// ---- internal moves, globals, memory size ------------------------------------------------------

def(IOp.Copy, (f, c, pc) => f.move(c[pc + 1]!, c[pc + 2]!));
def(IOp.Copy32, (f, c, pc) => f.set(c[pc + 1]!, f.i(c[pc + 2]!)));
def(IOp.Const32, (f, c, pc) => f.set(c[pc + 1]!, lit(c[pc + 2]!)));
def(IOp.Const64, (f, c, pc) => set64(f, c[pc + 1]!, lit(c[pc + 2]!), lit(c[pc + 3]!)));
def(IOp.Select, (f, c, pc) => f.select(c[pc + 1]!, c[pc + 2]!, c[pc + 3]!, c[pc + 4]!));
def(IOp.GlobalGet, (f, c, pc) => {
  const g = f.global(c[pc + 2]!);
  return set64(f, c[pc + 1]!, `${g}[0]`, `${g}[1]`);
});
def(IOp.GlobalSet, (f, c, pc) => {
  const g = f.global(c[pc + 1]!), a = c[pc + 2]!;
  return `${g}[0] = ${f.i(a)}; ${g}[1] = ${f.i(a + 1)};`;
});
def(IOp.MemorySize, (f, c, pc) => f.set(c[pc + 1]!, 'inst.mems[0].pages'));

/** An int32 as a JavaScript literal that is safe in any expression position. */
export function lit(v: number): string {
  return v < 0 ? `(${v})` : String(v);
}

/** The emitter of a straight-line internal opcode, or undefined when the fast tier has none. */
export function emitterOf(op: number): Emit | undefined {
  return op >= 0 && op < 256 ? EMIT[op] : undefined;
}
