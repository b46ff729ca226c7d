// WebGPU's buffer usage and map mode bits as numbers. The GPUBufferUsage and GPUMapMode
// globals exist in browsers but not in Node until a WebGPU binding installs them, and
// these values are fixed by the specification.
export const MAP_READ = 0x01;
export const COPY_SRC = 0x04;
export const COPY_DST = 0x08;
export const UNIFORM = 0x40;
export const STORAGE = 0x80;
export const QUERY_RESOLVE = 0x200;

export const MAP_MODE_READ = 0x01;
