// Browsers and Web Workers: WebGPU is `navigator.gpu`.
export const runtime = 'browser' as const;

export function gpuEntry(): GPU {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new Error(
      'WebGPU is not available here (navigator.gpu is undefined): use a browser with WebGPU enabled ' +
        '(Chromium: --enable-unsafe-webgpu on Linux) and serve the page from a secure context.',
    );
  }
  return gpu;
}
