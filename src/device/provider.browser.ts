// Browsers and Web Workers: WebGPU is `navigator.gpu`.
export const runtime = 'browser' as const;

export async function gpuEntry(): Promise<GPU> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new Error(
      'WebGPU is not available here (navigator.gpu is undefined): use a browser with WebGPU enabled ' +
        '(Chromium: --enable-unsafe-webgpu on Linux) and serve the page from a secure context.',
    );
  }
  return gpu;
}

/** Node filters Dawn's notices out of stderr here; a browser has none. */
export function quietAdapterRequest<T>(request: () => Promise<T>): Promise<T> {
  return request();
}
