// Buffers are reused by exact (usage, size): a training loop asks for the same sizes
// every step, so after the first step it allocates nothing and memory stays flat.
export interface PoolStats {
  /** Buffers alive (in use or free in the pool). */
  buffers: number;
  bytes: number;
  inUse: number;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private readonly busy = new Set<GPUBuffer>();
  private bytes = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    const reused = this.free.get(key(bytes, usage))?.pop();
    const buffer = reused ?? this.create(bytes, usage);
    this.busy.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.busy.delete(buffer)) throw new Error('BufferPool.release: buffer is not in use (released twice?)');
    const k = key(buffer.size, buffer.usage);
    let list = this.free.get(k);
    if (!list) this.free.set(k, (list = []));
    list.push(buffer);
  }

  destroyAll(): void {
    for (const b of this.live) b.destroy();
    this.live.clear();
    this.busy.clear();
    this.free.clear();
    this.bytes = 0;
  }

  stats(): PoolStats {
    return { buffers: this.live.size, bytes: this.bytes, inUse: this.busy.size };
  }

  private create(bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const buffer = this.device.createBuffer({ size: bytes, usage });
    this.live.add(buffer);
    this.bytes += bytes;
    return buffer;
  }
}

function key(bytes: number, usage: GPUBufferUsageFlags): string {
  return `${usage}:${bytes}`;
}
