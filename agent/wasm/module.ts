// `Module`: a decoded and validated WebAssembly binary, ready to instantiate any number of times.

import { createHash } from 'node:crypto';
import { decodeModule } from './binary/index.ts';
import { DecodeError, ValidationError } from './errors.ts';
import type { ExternKind, ImportDesc, ModuleAst } from './types.ts';
import { validateModule } from './valid/index.ts';

export class Module {
  /** Translated code per defined function (metered and unmetered), filled lazily on first call, shared by all instances. */
  readonly codeCache: { readonly metered: unknown[]; readonly unmetered: unknown[] };

  private constructor(
    readonly ast: ModuleAst,
    /** SHA-256 of the binary, hex: names the module in snapshots and reports. */
    readonly digest: string,
  ) {
    this.codeCache = { metered: new Array(ast.codes.length).fill(undefined), unmetered: new Array(ast.codes.length).fill(undefined) };
  }

  /**
   * Decodes and validates a binary.
   * @throws DecodeError when the bytes are malformed, ValidationError when the module is invalid
   */
  static compile(bytes: Uint8Array): Module {
    const ast = decodeModule(bytes);
    validateModule(ast);
    return new Module(ast, createHash('sha256').update(bytes).digest('hex'));
  }

  /** Decodes and validates without throwing for bad modules. */
  static validate(bytes: Uint8Array): { ok: true; module: Module } | { ok: false; error: DecodeError | ValidationError } {
    try {
      return { ok: true, module: Module.compile(bytes) };
    } catch (e) {
      if (e instanceof DecodeError || e instanceof ValidationError) return { ok: false, error: e };
      throw e;
    }
  }

  imports(): { module: string; name: string; kind: ExternKind; desc: ImportDesc }[] {
    return this.ast.imports.map((i) => ({ module: i.module, name: i.name, kind: i.desc.kind, desc: i.desc }));
  }

  exports(): { name: string; kind: ExternKind }[] {
    return this.ast.exports.map((e) => ({ name: e.name, kind: e.kind }));
  }
}
