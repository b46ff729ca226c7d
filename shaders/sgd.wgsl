// One SGD step over a flat parameter buffer, PyTorch's torch.optim.SGD with dampening 0:
//   g   = grad + weightDecay · p
//   buf = momentum · buf + g          (buf starts at zero, so step 1 gives buf = g as in PyTorch)
//   p  -= lr · (nesterov ? g + momentum · buf : buf)
// With momentum 0 this is plain SGD (buf just holds g).
//
// Bindings: 0 params (a per-step uniform: lr changes every step), 1 parameters (updated),
//           2 gradients, 3 momentum buffer (updated); all three of length `count`.
// Dispatch: grid1d(count, WG), one invocation per element, i = gid.x + gid.y · num_workgroups.x · WG.

struct SgdParams {
  count: u32,
  nesterov: u32,
  lr: f32,
  momentum: f32,
  weightDecay: f32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: SgdParams;
@group(0) @binding(1) var<storage, read_write> parameters: array<f32>;
@group(0) @binding(2) var<storage, read> gradients: array<f32>;
@group(0) @binding(3) var<storage, read_write> momentumBuffer: array<f32>;

@compute @workgroup_size(WG)
fn sgdStep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.count) { return; }
  let p = parameters[i];
  let g = gradients[i] + params.weightDecay * p;
  let buf = params.momentum * momentumBuffer[i] + g;
  momentumBuffer[i] = buf;
  let update = select(buf, g + params.momentum * buf, params.nesterov == 1u);
  parameters[i] = p - params.lr * update;
}
