// WGSL files are imported as text (esbuild's text loader; a vitest plugin in tests).
declare module '*.wgsl' {
  const source: string;
  export default source;
}

// WebAssembly modules (build/rng.wasm) are imported as their bytes (esbuild's binary loader;
// a vitest plugin in tests).
declare module '*.wasm' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}
