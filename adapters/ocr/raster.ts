/**
 * An 8-bit interleaved RGB image in memory. The pipeline works on this one representation so the
 * hot loops (rotation, crops, normalisation) are plain index arithmetic on a typed array.
 */
export type Raster = { data: Uint8Array; width: number; height: number };

/** The clockwise quarter turns the orientation step can apply. */
export type QuarterTurn = 0 | 90 | 180 | 270;

/** Returns a copy of `image` turned `degrees` clockwise. */
export function rotateRaster(image: Raster, degrees: QuarterTurn): Raster {
  if (degrees === 0) return image;
  const { data, width, height } = image;
  const out = new Uint8Array(data.length);
  if (degrees === 180) {
    // Pixel i goes to pixel n-1-i: one reversed pass, channels kept in order.
    const n = width * height;
    for (let i = 0, j = (n - 1) * 3; i < n * 3; i += 3, j -= 3) {
      out[j] = data[i] as number;
      out[j + 1] = data[i + 1] as number;
      out[j + 2] = data[i + 2] as number;
    }
    return { data: out, width, height };
  }
  // Quarter turns swap the sides. Clockwise: source (x, y) lands at (height-1-y, x);
  // counter-clockwise (270): at (y, width-1-x).
  const outWidth = height;
  for (let y = 0; y < height; y++) {
    let src = y * width * 3;
    for (let x = 0; x < width; x++, src += 3) {
      const dst = degrees === 90 ? (x * outWidth + (height - 1 - y)) * 3 : ((width - 1 - x) * outWidth + y) * 3;
      out[dst] = data[src] as number;
      out[dst + 1] = data[src + 1] as number;
      out[dst + 2] = data[src + 2] as number;
    }
  }
  return { data: out, width: outWidth, height: width };
}
