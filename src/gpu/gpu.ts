// The runtime every kernel records into: one device, a buffer pool, a pipeline cache and
// the command encoder being filled. Dispatches accumulate in one compute pass until
// something needs the queue (an upload, a read, an explicit submit), so a training step
// becomes one command buffer.
import type { EspDevice } from '../device/device.ts';
import { BufferPool } from './bufferPool.ts';
import { PassTimer, type PassTime } from './passTimer.ts';
import { PipelineCache, kernelName, type KernelSource } from './pipelineCache.ts';
import { Tensor, formatShape, shapeSize, type DType } from './tensor.ts';
import { COPY_DST, COPY_SRC, MAP_MODE_READ, MAP_READ, STORAGE, UNIFORM } from './usage.ts';


export const TENSOR_USAGE = STORAGE | COPY_SRC | COPY_DST;

export type Binding = Tensor | GPUBuffer;

export interface DispatchOptions {
  /** The params differ on every call (a learning rate): keep them out of the uniform cache. */
  transientParams?: boolean;
}

export class Gpu {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  private readonly uniforms = new Map<string, GPUBuffer>();
  private readonly transientUniforms: GPUBuffer[] = [];
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private passTimer: PassTimer | undefined;
  private timing = false;
  private timingPerKernel = false;
  dispatchCount = 0;

  constructor(readonly esp: EspDevice) {
    this.device = esp.device;
    this.pool = new BufferPool(this.device);
    this.pipelines = new PipelineCache(this.device);
  }

  get limits() {
    return this.esp.limits;
  }

  /** An uninitialised tensor from the pool (contents are whatever the buffer held). */
  empty(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const bytes = shapeSize(shape) * 4;
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `Tensor ${formatShape(shape)} needs ${bytes} bytes, over this adapter's maxStorageBufferBindingSize ${this.limits.maxStorageBufferBindingSize}`,
      );
    }
    return new Tensor(this.pool.acquire(bytes, TENSOR_USAGE), shape, dtype);
  }

  upload(data: ArrayLike<number> | Float32Array | Uint32Array, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    if (data.length !== shapeSize(shape)) {
      throw new Error(`upload: ${data.length} values do not fill shape ${formatShape(shape)} (${shapeSize(shape)} values)`);
    }
    const t = this.empty(shape, dtype);
    this.write(t, data);
    return t;
  }

  /** Overwrites a tensor's contents from the CPU, after everything recorded so far. */
  write(t: Tensor, data: ArrayLike<number> | Float32Array | Uint32Array, offsetElements = 0): void {
    const typed =
      t.dtype === 'u32'
        ? data instanceof Uint32Array ? data : Uint32Array.from(data as ArrayLike<number>)
        : data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    if (offsetElements + typed.length > t.size) throw new Error(`write: ${typed.length} values overflow tensor ${formatShape(t.shape)}`);
    // queue.writeBuffer runs before any command still sitting in the encoder, and the
    // pool may have handed this buffer to earlier recorded work: keep the order.
    this.submit();
    this.device.queue.writeBuffer(t.buffer, t.byteOffset + offsetElements * 4, typed.buffer, typed.byteOffset, typed.byteLength);
  }

  /** Returns tensors' buffers to the pool. Views (offset ≠ 0 or owned elsewhere) must not be released. */
  release(...tensors: (Tensor | undefined)[]): void {
    for (const t of tensors) if (t) this.pool.release(t.buffer);
  }

  /** A uniform buffer with these bytes; cached by content since shapes repeat every step. */
  uniform(bytes: ArrayBuffer): GPUBuffer {
    const key = Array.from(new Uint32Array(bytes)).join(',');
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      buffer = this.device.createBuffer({ size: Math.max(16, Math.ceil(bytes.byteLength / 16) * 16), usage: UNIFORM | COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, bytes);
      this.uniforms.set(key, buffer);
    }
    return buffer;
  }

  /**
   * A uniform buffer for values that never repeat, which would grow the content cache
   * without bound. It comes from the pool and goes back on submit: a later writeBuffer
   * to it is queued behind the command buffer that read this content.
   */
  private transientUniform(bytes: ArrayBuffer): GPUBuffer {
    const buffer = this.pool.acquire(bytes.byteLength, UNIFORM | COPY_DST);
    this.device.queue.writeBuffer(buffer, 0, bytes);
    this.transientUniforms.push(buffer);
    return buffer;
  }

  /**
   * Records one dispatch. Binding 0 is the uniform block (when `params` is given),
   * storage bindings follow in order from 1 (from 0 when there are no params).
   */
  async dispatch(
    source: KernelSource,
    bindings: readonly Binding[],
    workgroups: readonly [number, number?, number?],
    params?: ArrayBuffer,
    options: DispatchOptions = {},
  ): Promise<void> {
    const pipeline = await this.pipelines.get(source);
    const [x, y = 1, z = 1] = workgroups;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) throw new Error(`${kernelName(source)}: dispatch (${x}, ${y}, ${z}) exceeds ${max} workgroups per dimension`);
    if (x === 0 || y === 0 || z === 0) return;
    const uniform = params && (options.transientParams ? this.transientUniform(params) : this.uniform(params));
    const resources = uniform ? [{ buffer: uniform }, ...bindings.map(bindingOf)] : bindings.map(bindingOf);
    const entries = resources.map((resource, binding) => ({ binding, resource }));
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    // Timed per kernel, each dispatch gets a pass of its own, labelled by its file and entry point.
    if (this.timingPerKernel) this.endPass();
    const pass = this.computePass(this.timingPerKernel ? `${kernelName(source)}:${source.entryPoint}` : '');
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
    if (this.timingPerKernel) this.endPass();
  }

  copy(src: Tensor, dst: Tensor): void {
    if (src.size !== dst.size) throw new Error(`copy: sizes differ (${formatShape(src.shape)} vs ${formatShape(dst.shape)})`);
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src.buffer, src.byteOffset, dst.buffer, dst.byteOffset, src.byteLength);
  }

  /** Submits everything recorded so far as one command buffer. */
  submit(): void {
    this.endPass();
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = undefined;
    }
    for (const b of this.transientUniforms.splice(0)) this.pool.release(b);
  }

  /** Waits until the GPU has finished all submitted work; throws GPU errors seen so far. */
  async sync(): Promise<void> {
    this.submit();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.esp.lost]);
    this.esp.throwIfFailed();
  }

  async read(t: Tensor): Promise<Float32Array> {
    const bytes = await this.readBytes(t);
    return new Float32Array(bytes);
  }

  async readU32(t: Tensor): Promise<Uint32Array> {
    return new Uint32Array(await this.readBytes(t));
  }

  private async readBytes(t: Tensor): Promise<ArrayBuffer> {
    const size = t.byteLength;
    const staging = this.pool.acquire(size, MAP_READ | COPY_DST);
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(t.buffer, t.byteOffset, staging, 0, size);
    this.submit();
    try {
      await Promise.race([staging.mapAsync(MAP_MODE_READ, 0, size), this.esp.lost]);
      this.esp.throwIfFailed();
      const copy = staging.getMappedRange(0, size).slice(0);
      staging.unmap();
      return copy;
    } finally {
      this.pool.release(staging);
    }
  }

  /** Whether the adapter offers GPU timestamps (startTiming works). */
  get canTime(): boolean {
    return this.esp.features.has('timestamp-query');
  }

  /**
   * Starts summing the GPU time of the compute passes recorded from now on (see passTimer.ts).
   * `perKernel`: one pass a dispatch, so stopTiming also gives each kernel's time (the passes'
   * boundaries cost a little, so the total runs slightly over an ordinary step's).
   */
  startTiming(options: { perKernel?: boolean } = {}): void {
    if (!this.canTime) throw new Error('startTiming: this adapter does not offer timestamp-query');
    this.endPass(); // a pass already open began untimed
    this.passTimer ??= new PassTimer(this.device);
    this.timing = true;
    this.timingPerKernel = options.perKernel ?? false;
  }

  /** Submits what is recorded, waits for it and returns the GPU time of the passes since startTiming. */
  async stopTiming(): Promise<PassTime> {
    if (!this.timing || !this.passTimer) throw new Error('stopTiming: startTiming was not called');
    this.timing = false;
    this.timingPerKernel = false;
    this.submit();
    const time = await Promise.race([this.passTimer.collect(), this.esp.lost]);
    this.esp.throwIfFailed();
    return time;
  }

  stats() {
    return { ...this.pool.stats(), uniforms: this.uniforms.size, pipelines: this.pipelines.size, compileMs: this.pipelines.compileMs, dispatches: this.dispatchCount };
  }

  dispose(): void {
    this.endPass();
    this.encoder = undefined;
    for (const b of this.uniforms.values()) b.destroy();
    this.uniforms.clear();
    this.transientUniforms.length = 0;
    this.pool.destroyAll();
    this.passTimer?.destroy();
    this.passTimer = undefined;
  }

  private commandEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private computePass(label = ''): GPUComputePassEncoder {
    if (this.pass) return this.pass;
    const timestampWrites = this.timing ? this.passTimer!.nextPass(label) : undefined;
    this.pass = this.commandEncoder().beginComputePass(timestampWrites ? { timestampWrites } : undefined);
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }
}

function bindingOf(b: Binding): GPUBufferBinding {
  return b instanceof Tensor ? { buffer: b.buffer, offset: b.byteOffset, size: Math.max(4, b.byteLength) } : { buffer: b };
}

/** Packs a uniform block: integers as u32, `{ f32: x }` as f32, each one 4-byte slot. */
export function packParams(...values: (number | { f32: number })[]): ArrayBuffer {
  const slots = Math.max(4, Math.ceil(values.length / 4) * 4);
  const view = new DataView(new ArrayBuffer(slots * 4));
  values.forEach((v, i) => {
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`packParams: slot ${i} = ${v} is not a u32`);
      view.setUint32(i * 4, v, true);
    } else view.setFloat32(i * 4, v.f32, true);
  });
  return view.buffer;
}
