// `Module`: a decoded and validated WebAssembly binary, ready to instantiate any number of times.

import type { ExternKind, ImportDesc, ModuleAst } from './types.ts';
import type { DecodeError, ValidationError } from './errors.ts';

export class Module {
  private constructor(readonly ast: ModuleAst, readonly bytes: Uint8Array) {}

  /**
   * Decodes and validates a binary.
   * @throws DecodeError when the bytes are malformed, ValidationError when the module is invalid
   */
  static compile(bytes: Uint8Array): Module {
    void bytes;
    throw new Error('not implemented yet');
  }

  /** Decodes and validates without throwing. */
  static validate(bytes: Uint8Array): { ok: true; module: Module } | { ok: false; error: DecodeError | ValidationError } {
    void bytes;
    throw new Error('not implemented yet');
  }

  imports(): { module: string; name: string; kind: ExternKind; desc: ImportDesc }[] {
    return this.ast.imports.map((i) => ({ module: i.module, name: i.name, kind: i.desc.kind, desc: i.desc }));
  }

  exports(): { name: string; kind: ExternKind }[] {
    return this.ast.exports.map((e) => ({ name: e.name, kind: e.kind }));
  }
}
