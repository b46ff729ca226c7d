// Canvas images (ImageData: RGBA bytes, row by row) as the NCHW bytes the library reads.
// Browser-safe and dependency-free: the worker client and Classifier.predictImages both use it.

/** What a canvas gives (ImageData): RGBA bytes, row by row. */
export interface ImageDataLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** 1: grey (luma of RGB), 3: RGB planes, 4: RGBA planes. */
export type ImageChannels = 1 | 3 | 4;

/** Canvas images of one size as NCHW bytes: RGB planes, RGBA planes, or grey (BT.601 luma, rounded). */
export function imageDataToBytes(images: readonly ImageDataLike[], channels: ImageChannels): { images: Uint8Array; shape: [number, number, number, number] } {
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new RangeError(`imageDataToBytes: channels must be 1, 3 or 4, got ${String(channels)}`);
  if (images.length === 0) throw new RangeError('imageDataToBytes: no images given');
  const { width, height } = images[0]!;
  const plane = width * height;
  const out = new Uint8Array(images.length * channels * plane);
  images.forEach((image, n) => {
    if (image.width !== width || image.height !== height) throw new RangeError(`imageDataToBytes: image ${n} is ${image.width}×${image.height}, image 0 is ${width}×${height}`);
    if (image.data.length !== 4 * plane) throw new RangeError(`imageDataToBytes: image ${n} has ${image.data.length} bytes, RGBA ${width}×${height} needs ${4 * plane}`);
    const base = n * channels * plane;
    const rgba = image.data;
    for (let p = 0; p < plane; p++) {
      if (channels === 1) out[base + p] = Math.round(0.299 * rgba[4 * p]! + 0.587 * rgba[4 * p + 1]! + 0.114 * rgba[4 * p + 2]!);
      else for (let c = 0; c < channels; c++) out[base + c * plane + p] = rgba[4 * p + c]!;
    }
  });
  return { images: out, shape: [images.length, channels, height, width] };
}
