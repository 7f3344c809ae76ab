/**
 * Channel and resolution scaling rules of the MobileNet family, one function per published rule,
 * so that each convention's rounding is reproduced exactly.
 */

/**
 * Round `value` to the nearest multiple of `divisor`, never below `minValue`, and never more than
 * 10% below `value` (torchvision/Keras/slim `_make_divisible`).
 */
export function makeDivisible(value: number, divisor = 8, minValue: number = divisor): number {
  const rounded = Math.max(minValue, Math.floor((value + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

/** TF-slim MobileNetV1 `depth(d) = max(int(d * depth_multiplier), min_depth)`. */
export function slimV1Depth(channels: number, alpha: number, minDepth: number): number {
  return Math.max(Math.trunc(channels * alpha), minDepth);
}

/** Keras MobileNet `int(filters * alpha)`: plain truncation, no minimum. */
export function kerasV1Depth(channels: number, alpha: number): number {
  return Math.trunc(channels * alpha);
}

/** Python's round() (half to even), as torchvision uses for the expanded width `round(inp * t)`. */
export function pythonRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
