// GPU time of compute passes from the adapter's timestamp queries ('timestamp-query'): each
// pass writes a timestamp where it starts and where it ends, and a measurement is the sum of
// those spans. Wall time also counts the CPU recording commands and the wait for the result,
// which on a shared machine is mostly noise; the sum of pass spans is what the kernels cost.
// Copies run outside compute passes and are not counted.
import { COPY_DST, COPY_SRC, MAP_MODE_READ, MAP_READ, QUERY_RESOLVE } from './usage.ts';

/** WebGPU's maximum queries per set: 2048 timed passes per measurement. */
const QUERY_CAPACITY = 4096;

export interface PassTime {
  /** Sum over the timed passes of (end − start), in milliseconds. */
  ms: number;
  passes: number;
  /** Passes recorded after the query set was full, which went untimed. */
  untimed: number;
  /** The same sums per label, for passes that were given one (one kernel a pass: see Gpu.startTiming). */
  byLabel: Record<string, { ms: number; passes: number }>;
}

export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private readonly staging: GPUBuffer;
  private written = 0;
  private untimed = 0;
  private readonly labels: string[] = [];

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: QUERY_CAPACITY });
    this.resolved = device.createBuffer({ size: QUERY_CAPACITY * 8, usage: QUERY_RESOLVE | COPY_SRC });
    this.staging = device.createBuffer({ size: QUERY_CAPACITY * 8, usage: MAP_READ | COPY_DST });
  }

  /** The timestamp writes for the next pass; undefined once the set is full (the pass is counted as untimed). */
  nextPass(label = ''): GPUComputePassTimestampWrites | undefined {
    if (this.written + 2 > QUERY_CAPACITY) {
      this.untimed++;
      return undefined;
    }
    this.labels[this.written / 2] = label;
    const writes = { querySet: this.querySet, beginningOfPassWriteIndex: this.written, endOfPassWriteIndex: this.written + 1 };
    this.written += 2;
    return writes;
  }

  /**
   * Reads the timestamps of every pass timed since the last collect and starts afresh.
   * Call after the passes were submitted; the read waits for them.
   */
  async collect(): Promise<PassTime> {
    const count = this.written;
    const untimed = this.untimed;
    this.written = 0;
    this.untimed = 0;
    if (count === 0) return { ms: 0, passes: 0, untimed, byLabel: {} };
    const encoder = this.device.createCommandEncoder();
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, this.staging, 0, count * 8);
    this.device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(MAP_MODE_READ, 0, count * 8);
    const stamps = new BigUint64Array(this.staging.getMappedRange(0, count * 8).slice(0));
    this.staging.unmap();
    let ns = 0;
    const byLabel: PassTime['byLabel'] = {};
    for (let i = 0; i < count; i += 2) {
      // Timestamps may be reset or reordered by the driver between passes; a span that runs
      // backwards is a broken pair, not negative work.
      const spanNs = Math.max(0, Number(stamps[i + 1]! - stamps[i]!));
      ns += spanNs;
      const label = this.labels[i / 2];
      if (!label) continue;
      const entry = (byLabel[label] ??= { ms: 0, passes: 0 });
      entry.ms += spanNs / 1e6;
      entry.passes++;
    }
    return { ms: ns / 1e6, passes: count / 2, untimed, byLabel };
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolved.destroy();
    this.staging.destroy();
  }
}
