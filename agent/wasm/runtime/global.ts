// A global instance: its type and its value as a 64-bit bit pattern in two int32 words
// (references encoded as in tables), so moves between globals and the value stack are exact.

import type { GlobalType } from '../types.ts';

export class GlobalInst {
  /** Word 0 is the low 32 bits (or the whole i32, f32 bits, reference); word 1 the high 32 bits. */
  readonly v = new Int32Array(2);
  constructor(readonly type: GlobalType) {}
}
