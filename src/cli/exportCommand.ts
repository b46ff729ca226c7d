// `espgpu export`: a training checkpoint's model in a format other tools read. The model is
// built from the checkpoint's name and classes and its weights decoded and checked against
// it, all without a device; each format is one entry of FORMATS, which turns that into bytes.
// The file is written atomically.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { writeFileAtomic } from '../io/atomicFile.ts';
import { CheckpointError, decodeSafetensors, decodeTrainingCheckpoint, type ModelLayout, type TrainingCheckpoint } from '../io/checkpoint.ts';
import { encodeWeights } from '../io/weights.ts';
import type { AugmentationOptions } from '../augment/pipeline.ts';
import { createModel, modelDefinition, MODEL_NAMES } from '../nn/models/index.ts';
import type { Sequential } from '../nn/sequential.ts';
import { onnxFromWeights } from '../train/onnxExport.ts';
import { firstNonFinite, modelLayout } from '../train/weights.ts';
import { espgpuVersion } from './shared.ts';
import { describeValue } from '../validate.ts';

/** What every format gets: the checkpoint's model, built but on no device, and its contents. */
export interface ExportSource {
  /** The checkpoint's path. */
  path: string;
  model: string;
  /** The architecture (a format that writes a graph walks its layers). */
  net: Sequential;
  layout: ModelLayout;
  /** Weights, statistics, step and the run's settings (its augmentation holds the input normalisation). */
  checkpoint: TrainingCheckpoint;
}

interface ExportFormat {
  description: string;
  write(source: ExportSource): Uint8Array | Promise<Uint8Array>;
}

/** The formats `--format` offers: a new one is one more entry here. */
export const FORMATS = {
  safetensors: {
    description: "plain weights, as PyTorch's safetensors.torch.save_file writes the same model's state_dict",
    write: ({ checkpoint, layout }) => encodeWeights(checkpoint, layout, checkpoint.step),
  },
  onnx: {
    description: 'the inference graph (ONNX opset 17): input images in [0, 1], NCHW, normalised inside the graph as in training; output logits',
    write: ({ model, net, checkpoint }) => {
      const settings = checkpoint.settings as { augmentation?: AugmentationOptions; dataset?: { shape?: unknown } } | null;
      return onnxFromWeights(net, checkpoint, {
        inputShape: trainedImageShape(settings?.dataset?.shape) ?? modelDefinition(model).inputShape,
        normalization: settings?.augmentation?.normalization,
        range: settings?.augmentation?.range,
        name: model,
        producerVersion: espgpuVersion(),
        metadata: { step: String(checkpoint.step), seed: String(checkpoint.seed) },
      });
    },
  },
} satisfies Record<string, ExportFormat>;

/** [C, H, W] of the images a checkpoint's run trained on (its settings record [N, C, H, W]). */
function trainedImageShape(shape: unknown): [number, number, number] | undefined {
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) return undefined;
  return [shape[1], shape[2], shape[3]];
}

export type ExportFormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as ExportFormatName[];

interface ExportArgs {
  checkpoint: string;
  format: ExportFormatName;
  out: string;
}

/** The classes the checkpoint's run trained on, as its settings record them; undefined leaves the model's default (decoding then names any mismatch). */
function trainedClasses(settings: string | undefined): number | undefined {
  try {
    const classes: unknown = (JSON.parse(settings ?? 'null') as { dataset?: { classes?: unknown } } | null)?.dataset?.classes;
    return Number.isSafeInteger(classes) ? (classes as number) : undefined;
  } catch {
    return undefined;
  }
}

/** Decodes a training checkpoint into what the formats write, refusing one that holds NaN or ±Inf. */
export function exportSource(bytes: Uint8Array, path: string): ExportSource {
  const { metadata } = decodeSafetensors(bytes, path);
  const model = metadata.model;
  if (!(MODEL_NAMES as readonly unknown[]).includes(model)) {
    throw new CheckpointError(path, `its metadata names model ${describeValue(model)}, not one espgpu builds (${MODEL_NAMES.join(', ')})`);
  }
  const net = createModel(model!, { seed: 0, classes: trainedClasses(metadata.settings) });
  const layout = modelLayout(model!, net);
  const checkpoint = decodeTrainingCheckpoint(bytes, path, layout);
  const bad = firstNonFinite({ parameters: checkpoint.parameters, state: checkpoint.state });
  if (bad) throw new CheckpointError(path, `holds ${bad}: exported weights would be of no use`);
  return { path, model: model!, net, layout, checkpoint };
}

function readCheckpoint(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new Error(`--checkpoint ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export function addExportCommand(program: Command): Command {
  return program
    .command('export')
    .description("write a checkpoint's model in a format other tools read (no device needed)")
    .requiredOption('--checkpoint <file>', 'a safetensors checkpoint written by espgpu train')
    .addOption(new Option('--format <name>', FORMAT_NAMES.map((f) => `${f}: ${FORMATS[f].description}`).join('; ')).choices(FORMAT_NAMES).default('safetensors'))
    .requiredOption('--out <file>', 'the file to write (replaced atomically if it exists)')
    .action(async (args: ExportArgs) => {
      // The checkpoint holds momentum and the run's state; writing weights over it would lose them.
      if (resolve(args.out) === resolve(args.checkpoint)) throw new Error(`--out ${args.out} is the checkpoint itself: choose another file`);
      const source = exportSource(readCheckpoint(args.checkpoint), args.checkpoint);
      const bytes = await FORMATS[args.format].write(source);
      await writeFileAtomic(args.out, bytes);
      console.log(`${source.model} from ${args.checkpoint} (step ${source.checkpoint.step}): ${args.out}, ${args.format}, ${bytes.length.toLocaleString('en-US')} bytes`);
    });
}
