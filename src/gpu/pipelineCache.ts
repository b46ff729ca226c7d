// Compiles each (shader, specialization, entry point) once. Compile errors become
// errors that name the shader file and line, not Dawn's anonymous module dump. Each
// pipeline comes with the bindings its source declares, which dispatches are checked against.
import { KernelBindings } from './bindingContract.ts';
import { bindingLayout } from './bindingLayout.ts';
import { specialize, type Specialization } from './specialize.ts';

export interface ShaderFile {
  /** File name under shaders/, used in error messages. */
  file: string;
  code: string;
}

export interface KernelSource {
  /** WGSL files concatenated in order (e.g. an op's operand loaders, then the GEMM core). */
  files: readonly ShaderFile[];
  entryPoint: string;
  consts?: Specialization;
}

export function kernelName(source: KernelSource): string {
  return source.files.map((f) => f.file).join('+');
}

/** A pipeline and what a dispatch of it may bind. */
export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  bindings: KernelBindings;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<CompiledKernel>>();
  /** Time spent compiling, for benchmarks to report apart from steady state. */
  compileMs = 0;

  constructor(private readonly device: GPUDevice) {}

  get(source: KernelSource): Promise<CompiledKernel> {
    const key = `${kernelName(source)}|${source.entryPoint}|${JSON.stringify(source.consts ?? {})}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.compile(source);
      pipeline.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private async compile(source: KernelSource): Promise<CompiledKernel> {
    const started = performance.now();
    const name = kernelName(source);
    const code = specialize(source.files.map((f) => f.code).join('\n'), name, source.consts);
    // Inside an error scope: a bad module is this kernel's error, not an uncaptured one that
    // would fail the device for every later read.
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ label: name, code });
    const info = await module.getCompilationInfo();
    const scoped = await this.device.popErrorScope();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const lines = errors.map((m) => `${fileLine(source.files, m.lineNum)}:${m.linePos}: ${m.message}`);
      throw new Error(`WGSL compile error in ${name}\n${lines.join('\n')}`);
    }
    if (scoped) throw new Error(`${name}: cannot create the shader module: ${scoped.message}`);
    const pipeline = await this.device
      .createComputePipelineAsync({
        label: `${name}:${source.entryPoint}`,
        layout: 'auto',
        compute: { module, entryPoint: source.entryPoint },
      })
      .catch((error: Error) => {
        throw new Error(`${name}: cannot create pipeline "${source.entryPoint}": ${error.message}`);
      });
    // Read after compiling, so a WGSL error is reported as one, with its line.
    const bindings = new KernelBindings(`${name}:${source.entryPoint}`, bindingLayout(code, name));
    this.compileMs += performance.now() - started;
    return { pipeline, bindings };
  }
}

/** Maps a line of the concatenated module back to "file:line". */
function fileLine(files: readonly ShaderFile[], line: number): string {
  let remaining = line;
  for (const f of files) {
    const count = f.code.split('\n').length;
    if (remaining <= count) return `${f.file}:${remaining}`;
    remaining -= count;
  }
  return `${files[files.length - 1]?.file ?? 'wgsl'}:${line}`;
}
