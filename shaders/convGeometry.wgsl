// The geometry of one convolution layer, concatenated before conv2d.wgsl (implicit GEMM) and
// conv2dDirect.wgsl (direct kernels): x [B, CI, H, W] * w [CO, CI, KH, KW] → y [B, CO, OH, OW],
// stride SH×SW, zero padding PH×PW. Everything but the batch is const, specialized per layer
// by the wrapper (src/kernels/convDims.ts): the kernels split flat indices into (image,
// channel, row, column), and division by a constant is a multiply and a shift where division
// by a uniform is a long emulated sequence on lavapipe.

const CI: u32 = 1u;
const H: u32 = 3u;
const W: u32 = 3u;
const CO: u32 = 1u;
const KH: u32 = 3u;
const KW: u32 = 3u;
const OH: u32 = 1u;
const OW: u32 = 1u;
const SH: u32 = 1u;
const SW: u32 = 1u;
const PH: u32 = 0u;
const PW: u32 = 0u;

const TAPS: u32 = KH * KW;
const IN_PLANE: u32 = H * W;
const OUT_PLANE: u32 = OH * OW;
