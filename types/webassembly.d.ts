// The part of the WebAssembly JavaScript API (V8's built-in engine) that fleetlet's tests and
// benchmarks use to compare against: Node has it, but the ES2022 lib does not declare it.

declare global {
  namespace WebAssembly {
    interface Module {}
    interface Instance {
      readonly exports: Record<string, unknown>;
    }
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    interface ModuleImportDescriptor { readonly module: string; readonly name: string; readonly kind: string }
    interface ModuleExportDescriptor { readonly name: string; readonly kind: string }
  }
  // eslint-disable-next-line no-var
  var WebAssembly: {
    Module: { new (bytes: BufferSource): WebAssembly.Module; imports(m: WebAssembly.Module): WebAssembly.ModuleImportDescriptor[]; exports(m: WebAssembly.Module): WebAssembly.ModuleExportDescriptor[] };
    Instance: { new (module: WebAssembly.Module, imports?: Record<string, Record<string, unknown>>): WebAssembly.Instance };
    Memory: { new (desc: { initial: number; maximum?: number }): WebAssembly.Memory };
    validate(bytes: BufferSource): boolean;
    CompileError: ErrorConstructor;
    LinkError: ErrorConstructor;
    RuntimeError: ErrorConstructor;
  };
  type BufferSource = ArrayBufferView | ArrayBuffer;
}

export {};
