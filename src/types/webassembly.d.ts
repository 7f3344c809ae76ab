/**
 * The WebAssembly JavaScript API, which TypeScript only declares in its DOM and WebWorker libs
 * (neither fits a library that runs in Node and browsers). The subset mobilenet-ts uses.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  interface Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  var Memory: {
    prototype: Memory;
    new (descriptor: MemoryDescriptor): Memory;
  };
  interface Module {}
  var Module: {
    prototype: Module;
    new (bytes: BufferSource): Module;
    exports(module: Module): Array<{ name: string; kind: string }>;
    imports(module: Module): Array<{ module: string; name: string; kind: string }>;
  };
  type ExportValue = Function | Memory | Global | Table;
  type Exports = Record<string, ExportValue>;
  interface Instance {
    readonly exports: Exports;
  }
  var Instance: {
    prototype: Instance;
    new (module: Module, importObject?: Imports): Instance;
  };
  interface Global {
    value: unknown;
  }
  interface Table {
    readonly length: number;
  }
  type ImportValue = Function | Memory | Global | Table | number;
  type Imports = Record<string, Record<string, ImportValue>>;
  interface WebAssemblyInstantiatedSource {
    instance: Instance;
    module: Module;
  }
  function validate(bytes: BufferSource): boolean;
  function compile(bytes: BufferSource): Promise<Module>;
  function instantiate(bytes: BufferSource, importObject?: Imports): Promise<WebAssemblyInstantiatedSource>;
  function instantiate(module: Module, importObject?: Imports): Promise<Instance>;
}
