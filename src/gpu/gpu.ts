// The runtime every kernel records into: one device, a buffer pool, a pipeline cache and
// the command encoder being filled. Dispatches accumulate in one compute pass until
// something needs the queue (an upload, a read, an explicit submit), so a training step
// becomes one command buffer.
import type { AcquiredDevice } from '../device/device.ts';
import { BufferPool } from './bufferPool.ts';
import { PassTimer, type PassTime } from './passTimer.ts';
import { PipelineCache, kernelName, type KernelSource } from './pipelineCache.ts';
import { boundBytes, type Binding, type BindingContract, type NamedBindings } from './bindingContract.ts';
import { Tensor, formatShape, shapeSize, type DType } from './tensor.ts';
import { COPY_DST, COPY_SRC, MAP_MODE_READ, MAP_READ, STORAGE, UNIFORM } from './usage.ts';
import { KeyTrie } from './keyTrie.ts';


export const TENSOR_USAGE = STORAGE | COPY_SRC | COPY_DST;
const MAX_CACHED_BIND_GROUPS = 16_384;

export type { Binding, NamedBindings } from './bindingContract.ts';

/**
 * A setting or piece of state a kernel keeps per device — a tile shape, an algorithm choice,
 * an uploaded table — held by the Gpu itself, so it lives and dies with the device and a
 * test can reset every setting at once. `initial` gives the value until one is configured.
 */
export interface DeviceSetting<T> {
  readonly name: string;
  initial(gpu: Gpu): T;
}

export function deviceSetting<T>(name: string, initial: (gpu: Gpu) => T): DeviceSetting<T> {
  return { name, initial };
}

export interface DispatchOptions {
  /** The params differ on every call (a learning rate): keep them out of the uniform cache. */
  transientParams?: boolean;
}

export class Gpu {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  private readonly settings = new Map<DeviceSetting<unknown>, unknown>();
  private readonly uniforms = new KeyTrie<GPUBuffer>();
  /** Bind groups by (binding contract: pipeline and names; uniform; each binding's buffer, offset and size): a step's repeat every step. */
  private readonly bindGroups = new KeyTrie<GPUBindGroup>();
  /** Counted for benchmarks: a steady training step should create none. */
  bindGroupsCreated = 0;
  /** Per size: the transient uniform buffers, and how many the command buffer being recorded has used. */
  private readonly transientUniforms = new Map<number, { buffers: GPUBuffer[]; used: number }>();
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private passTimer: PassTimer | undefined;
  private timing = false;
  private timingPerKernel = false;
  dispatchCount = 0;
  /** Command buffers submitted: a training step should add one. */
  submitCount = 0;

  /** Each dispatch submitted alone inside error scopes, so a failure names its kernel (slow). */
  readonly debug: boolean;

  constructor(readonly acquired: AcquiredDevice) {
    this.debug = acquired.debug;
    this.device = acquired.device;
    this.pool = new BufferPool(this.device);
    this.pipelines = new PipelineCache(this.device);
  }

  get limits() {
    return this.acquired.limits;
  }

  /** This device's value of `setting`: the configured one, else its initial value (made once). */
  setting<T>(setting: DeviceSetting<T>): T {
    if (!this.settings.has(setting)) this.settings.set(setting, setting.initial(this));
    return this.settings.get(setting) as T;
  }

  /** Sets `setting` on this device; undefined returns it to its initial value. */
  configure<T>(setting: DeviceSetting<T>, value: T | undefined): void {
    if (value === undefined) this.settings.delete(setting);
    else this.settings.set(setting, value);
  }

  /** Every setting back to its initial value. */
  resetSettings(): void {
    this.settings.clear();
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
    const key = new Uint32Array(bytes);
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      buffer = this.device.createBuffer({ size: Math.max(16, Math.ceil(bytes.byteLength / 16) * 16), usage: UNIFORM | COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, bytes);
      this.uniforms.set(key, buffer);
    }
    return buffer;
  }

  /**
   * A uniform buffer for values that never repeat (a step counter, a learning rate), which would
   * grow the content cache without bound. The n-th one of a command buffer is always the same
   * buffer (per size), so a step that dispatches the same kernels binds the same buffers and
   * reuses its bind groups; rewriting it is safe because queue writes run after the command
   * buffers submitted before them.
   */
  private transientUniform(bytes: ArrayBuffer): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    let slots = this.transientUniforms.get(size);
    if (!slots) this.transientUniforms.set(size, (slots = { buffers: [], used: 0 }));
    if (slots.used === slots.buffers.length) slots.buffers.push(this.device.createBuffer({ size, usage: UNIFORM | COPY_DST }));
    const buffer = slots.buffers[slots.used++]!;
    this.device.queue.writeBuffer(buffer, 0, bytes);
    return buffer;
  }

  /**
   * Records one dispatch. Binding 0 is the uniform block (when `params` is given), storage
   * bindings follow in the order of `bindings`, from 1 (from 0 without params), each keyed by
   * the WGSL variable declared at its index: `{ out, a, b }`. Names, dtypes and aliasing are
   * checked against the kernel's declarations (bindingContract.ts).
   */
  async dispatch(
    source: KernelSource,
    bindings: NamedBindings,
    workgroups: readonly [number, number?, number?],
    params?: ArrayBuffer,
    options: DispatchOptions = {},
  ): Promise<void> {
    const kernel = await this.pipelines.get(source);
    const resources = Object.values(bindings);
    const contract = kernel.bindings.contract(params !== undefined, Object.keys(bindings));
    kernel.bindings.checkDtypes(contract, resources);
    const [x, y = 1, z = 1] = workgroups;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) throw new Error(`${kernelName(source)}: dispatch (${x}, ${y}, ${z}) exceeds ${max} workgroups per dimension`);
    if (x === 0 || y === 0 || z === 0) return;
    const uniform = params && (options.transientParams ? this.transientUniform(params) : this.uniform(params));
    // Keyed by the contract (one per pipeline and name list): aliasing, which depends on the
    // buffers and the access their names declare, is checked once per bind group made.
    const key = bindGroupKey(contract, uniform, resources);
    let bindGroup = this.bindGroups.get(key);
    // Before the error scopes: a refused dispatch records nothing and leaves no scope open.
    if (!bindGroup) kernel.bindings.checkAliasing(contract, resources);
    if (this.debug) this.pushErrorScopes();
    bindGroup ??= this.createBindGroup(kernel.pipeline, uniform, resources, key);
    // Timed per kernel or debugged, each dispatch gets a pass of its own, labelled by its kernel.
    const alone = this.timingPerKernel || this.debug;
    if (alone) this.endPass();
    const pass = this.computePass(this.timingPerKernel ? kernel.bindings.kernel : '');
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
    if (alone) this.endPass();
    if (this.debug) {
      // The encoder reports a pass's errors when it finishes: submit this dispatch alone.
      this.submit();
      await this.popErrorScopes(kernel.bindings.kernel);
    }
  }

  /** The bind group of these resources, made once and reused while its buffers live. */
  private createBindGroup(pipeline: GPUComputePipeline, uniform: GPUBuffer | undefined, bindings: readonly Binding[], key: unknown[]): GPUBindGroup {
    const resources = uniform ? [{ buffer: uniform }, ...bindings.map(bindingOf)] : bindings.map(bindingOf);
    const entries = resources.map((resource, binding) => ({ binding, resource }));
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    // Transient uniforms and one-off buffers would grow the cache without bound: start over past a size no model reaches.
    if (this.bindGroups.size >= MAX_CACHED_BIND_GROUPS) this.bindGroups.clear();
    this.bindGroups.set(key, group);
    this.bindGroupsCreated++;
    return group;
  }

  private pushErrorScopes(): void {
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('internal');
  }

  private async popErrorScopes(kernel: string): Promise<void> {
    const errors = [await this.device.popErrorScope(), await this.device.popErrorScope(), await this.device.popErrorScope()];
    const error = errors.find((e) => e !== null);
    if (error) throw new Error(`${kernel}: WebGPU error in this dispatch: ${error.message}`);
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
      this.submitCount++;
    }
    for (const slots of this.transientUniforms.values()) slots.used = 0;
  }

  /** Waits until the GPU has finished all submitted work; throws GPU errors seen so far. */
  async sync(): Promise<void> {
    this.submit();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.acquired.lost]);
    this.acquired.throwIfFailed();
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
      await Promise.race([staging.mapAsync(MAP_MODE_READ, 0, size), this.acquired.lost]);
      this.acquired.throwIfFailed();
      const copy = staging.getMappedRange(0, size).slice(0);
      staging.unmap();
      return copy;
    } finally {
      this.pool.release(staging);
    }
  }

  /** Whether the adapter offers GPU timestamps (startTiming works). */
  get canTime(): boolean {
    return this.acquired.features.has('timestamp-query');
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
    const time = await Promise.race([this.passTimer.collect(), this.acquired.lost]);
    this.acquired.throwIfFailed();
    return time;
  }

  stats() {
    return { ...this.pool.stats(), uniforms: this.uniforms.size, bindGroups: this.bindGroups.size, bindGroupsCreated: this.bindGroupsCreated, pipelines: this.pipelines.size, compileMs: this.pipelines.compileMs, dispatches: this.dispatchCount, submits: this.submitCount };
  }

  dispose(): void {
    this.endPass();
    this.encoder = undefined;
    for (const b of this.uniforms.clear()) b.destroy();
    this.bindGroups.clear();
    for (const slots of this.transientUniforms.values()) for (const b of slots.buffers) b.destroy();
    this.transientUniforms.clear();
    this.settings.clear();
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

/** A bind group's cache key: its contract, uniform, and each binding's buffer, offset and size. */
function bindGroupKey(contract: BindingContract, uniform: GPUBuffer | undefined, bindings: readonly Binding[]): unknown[] {
  const key: unknown[] = [contract, uniform];
  for (const b of bindings) {
    if (b instanceof Tensor) key.push(b.buffer, b.byteOffset, b.byteLength);
    else key.push(b, -1, -1);
  }
  return key;
}

function bindingOf(b: Binding): GPUBufferBinding {
  return b instanceof Tensor ? { buffer: b.buffer, offset: b.byteOffset, size: boundBytes(b) } : { buffer: b };
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
