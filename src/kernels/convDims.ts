// The sizes of one convolution, shared by its three implementations (conv2d.ts's implicit
// GEMM, conv2dDirect.ts, winograd.ts), and the shader file that compiles them in as consts.
import convGeometryWgsl from '../../shaders/convGeometry.wgsl';
import type { Specialization } from '../gpu/specialize.ts';

/** x [B, Ci, H, W] * w [Co, Ci, KH, KW] → y [B, Co, OH, OW], stride SH×SW, padding PH×PW; validated by conv2d.ts. */
export interface ConvDims {
  B: number;
  Ci: number;
  H: number;
  W: number;
  Co: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
}

/** Concatenated before a convolution kernel's own file. */
export const convGeometryShader = { file: 'convGeometry.wgsl', code: convGeometryWgsl };

/** The whole geometry but the batch, as convGeometry.wgsl's consts. */
export function convGeometryConsts(d: ConvDims): Specialization {
  return { CI: d.Ci, H: d.H, W: d.W, CO: d.Co, KH: d.KH, KW: d.KW, OH: d.OH, OW: d.OW, SH: d.SH, SW: d.SW, PH: d.PH, PW: d.PW };
}
