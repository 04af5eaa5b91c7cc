// Conversions between API values (convenient or raw, see api.ts) and value-stack slots.

import { LinkError } from '../errors.ts';
import type { StoreData } from '../runtime/store.ts';
import { ValType } from '../types.ts';

/** A FuncRef-shaped object: anything with kind 'funcref' and a store address. */
interface FuncRefLike {
  readonly kind: 'funcref';
  readonly addr: number;
}

const scratch = new DataView(new ArrayBuffer(8));

function isFuncRef(v: unknown): v is FuncRefLike {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'funcref';
}

/** Encodes a funcref value (null or a FuncRef of this store) as a reference word. */
export function funcRefToWord(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (isFuncRef(v)) return v.addr + 1;
  throw new TypeError('Cannot pass a value that is not a function as funcref');
}

/**
 * Writes `v` as type `t` into the slot at word index w.
 * @throws TypeError when the value does not fit the type
 */
export function writeValue(S: Int32Array, w: number, t: ValType, v: unknown, raw: boolean, store: StoreData): void {
  switch (t) {
    case ValType.I32:
      S[w] = Number(v) | 0;
      return;
    case ValType.I64: {
      const b = BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
      S[w] = Number(BigInt.asIntN(32, b));
      S[w + 1] = Number(b >> 32n);
      return;
    }
    case ValType.F32:
      if (raw) S[w] = Number(v) | 0;
      else {
        scratch.setFloat32(0, Number(v), true);
        S[w] = scratch.getInt32(0, true);
      }
      return;
    case ValType.F64: {
      if (raw) {
        const b = BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Number(v)));
        S[w] = Number(BigInt.asIntN(32, b));
        S[w + 1] = Number(b >> 32n);
      } else {
        scratch.setFloat64(0, Number(v), true);
        S[w] = scratch.getInt32(0, true);
        S[w + 1] = scratch.getInt32(4, true);
      }
      return;
    }
    case ValType.FuncRef:
      S[w] = funcRefToWord(v);
      return;
    case ValType.ExternRef:
      S[w] = store.externToRef(v);
      return;
    default:
      throw new LinkError('incompatible-import', '', '', `value type 0x${(t as number).toString(16)} is not supported`);
  }
}

/** Reads the slot at word index w as type `t`. `funcRef` builds the API object for a function address. */
export function readValue(S: Int32Array, w: number, t: ValType, raw: boolean, store: StoreData, funcRef: (addr: number) => unknown): unknown {
  switch (t) {
    case ValType.I32:
      return S[w]!;
    case ValType.I64:
      return (BigInt(S[w + 1]!) << 32n) | BigInt(S[w]! >>> 0);
    case ValType.F32:
      if (raw) return S[w]!;
      scratch.setInt32(0, S[w]!, true);
      return scratch.getFloat32(0, true);
    case ValType.F64:
      if (raw) return (BigInt(S[w + 1]!) << 32n) | BigInt(S[w]! >>> 0);
      scratch.setInt32(0, S[w]!, true);
      scratch.setInt32(4, S[w + 1]!, true);
      return scratch.getFloat64(0, true);
    case ValType.FuncRef: {
      const r = S[w]!;
      return r === 0 ? null : funcRef(r - 1);
    }
    case ValType.ExternRef:
      return store.refToExtern(S[w]!);
    default:
      return undefined;
  }
}
