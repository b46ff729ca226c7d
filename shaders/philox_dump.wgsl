// Test hook for philox.wgsl (concatenated after it): evaluates Philox4x32-10 at given
// (counter, key) pairs so tests compare the GPU's bits with the known-answer vectors and the
// TypeScript reference.
//   out[4i + w] = word w of philox4x32(counters[i], keys[i])            (mode 0)
//               = bitcast<u32>(uniformClosedOpen(word w))               (mode 1)
//               = bitcast<u32>(uniformOpenClosed(word w))               (mode 2)
// Bindings: 0 params, 1 out (u32, 4 per pair), 2 counters (u32, 4 per pair), 3 keys (u32, 2 per pair).
// Dispatch: grid1d(count, WG), one invocation per (counter, key) pair.

struct DumpParams {
  count: u32,
  mode: u32,
}

const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: DumpParams;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> counters: array<u32>;
@group(0) @binding(3) var<storage, read> keys: array<u32>;

fn dumpWord(x: u32) -> u32 {
  if (params.mode == 1u) { return bitcast<u32>(uniformClosedOpen(x)); }
  if (params.mode == 2u) { return bitcast<u32>(uniformOpenClosed(x)); }
  return x;
}

@compute @workgroup_size(WG)
fn philoxDump(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.count) { return; }
  let counter = vec4<u32>(counters[4u * i], counters[4u * i + 1u], counters[4u * i + 2u], counters[4u * i + 3u]);
  let key = vec2<u32>(keys[2u * i], keys[2u * i + 1u]);
  let bits = philox4x32(counter, key);
  for (var w = 0u; w < 4u; w++) { out[4u * i + w] = dumpWord(bits[w]); }
}
