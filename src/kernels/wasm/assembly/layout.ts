// Descriptor layouts: byte offsets of the fields of each kernel's descriptor struct. Pointers and
// integers are little-endian i32, clamp bounds are f32. These constants are mirrored in the
// TypeScript wrappers (src/kernels/wasm/<kernel>.ts); `layoutOffset` lets a test compare the two.

/** Output channels per packed pointwise weight panel (the micro-kernel's register tile width). */
export const PW_NR: i32 = 16;

/**
 * Output channels of the packed pointwise weights and bias: panels of 16, the last one 8 wide when
 * at most 8 channels remain for it (24 → 24, 20 → 32, 3 → 8), zero-padded.
 */
@inline export function pointwisePaddedChannels(channels: i32): i32 {
  const rem = channels & 15;
  if (rem == 0) return channels;
  return channels - rem + (rem <= 8 ? 8 : 16);
}
/** conv2dDirect pads its output channels (weights and bias) to a multiple of this. */
export const CONV_COUT_ALIGN: i32 = 8;

// pointwise
export const PW_INPUT: usize = 0;
export const PW_WEIGHTS: usize = 4;
export const PW_BIAS: usize = 8;
export const PW_RESIDUAL: usize = 12;
export const PW_OUTPUT: usize = 16;
export const PW_PIXEL_START: usize = 20;
export const PW_PIXEL_END: usize = 24;
export const PW_IN_CHANNELS: usize = 28;
export const PW_OUT_CHANNELS: usize = 32;
export const PW_CHANNEL_START: usize = 36;
export const PW_CHANNEL_END: usize = 40;
export const PW_IN_STRIDE: usize = 44;
export const PW_OUT_STRIDE: usize = 48;
export const PW_ACCUMULATE: usize = 52;
export const PW_CLAMP_MIN: usize = 56;
export const PW_CLAMP_MAX: usize = 60;
export const PW_BYTES: i32 = 64;

// depthwise3x3
export const DW_INPUT: usize = 0;
export const DW_WEIGHTS: usize = 4;
export const DW_OUTPUT: usize = 8;
export const DW_IN_HEIGHT: usize = 12;
export const DW_IN_WIDTH: usize = 16;
export const DW_CHANNELS: usize = 20;
export const DW_IN_STRIDE: usize = 24;
export const DW_OUT_STRIDE: usize = 28;
export const DW_STRIDE_H: usize = 32;
export const DW_STRIDE_W: usize = 36;
export const DW_DILATION_H: usize = 40;
export const DW_DILATION_W: usize = 44;
export const DW_PAD_TOP: usize = 48;
export const DW_PAD_LEFT: usize = 52;
export const DW_OUT_HEIGHT: usize = 56;
export const DW_OUT_WIDTH: usize = 60;
export const DW_ROW_START: usize = 64;
export const DW_ROW_END: usize = 68;
export const DW_INPUT_ROW_BASE: usize = 72;
export const DW_CLAMP_MIN: usize = 76;
export const DW_CLAMP_MAX: usize = 80;
export const DW_BYTES: i32 = 84;

// conv2dDirect
export const CV_INPUT: usize = 0;
export const CV_WEIGHTS: usize = 4;
export const CV_BIAS: usize = 8;
export const CV_OUTPUT: usize = 12;
export const CV_IN_HEIGHT: usize = 16;
export const CV_IN_WIDTH: usize = 20;
export const CV_IN_CHANNELS: usize = 24;
export const CV_OUT_CHANNELS: usize = 28;
export const CV_KERNEL_H: usize = 32;
export const CV_KERNEL_W: usize = 36;
export const CV_STRIDE_H: usize = 40;
export const CV_STRIDE_W: usize = 44;
export const CV_DILATION_H: usize = 48;
export const CV_DILATION_W: usize = 52;
export const CV_PAD_TOP: usize = 56;
export const CV_PAD_LEFT: usize = 60;
export const CV_OUT_HEIGHT: usize = 64;
export const CV_OUT_WIDTH: usize = 68;
export const CV_ROW_START: usize = 72;
export const CV_ROW_END: usize = 76;
export const CV_CLAMP_MIN: usize = 80;
export const CV_CLAMP_MAX: usize = 84;
export const CV_BYTES: i32 = 88;

// globalAvgPool
export const GP_INPUT: usize = 0;
export const GP_OUTPUT: usize = 4;
export const GP_PIXELS: usize = 8;
export const GP_CHANNELS: usize = 12;
export const GP_STRIDE: usize = 16;
export const GP_CHANNEL_START: usize = 20;
export const GP_CHANNEL_END: usize = 24;
export const GP_BYTES: i32 = 28;

// Kernel ids of layoutOffset/descriptorBytes: 0 pointwise, 1 depthwise3x3, 2 conv2dDirect, 3 globalAvgPool.
// A field code is the byte offset, | 0x10000 for an f32 field; fields are numbered in declaration order above.
const F32: i32 = 1 << 16;

/** The code of field `field` of kernel `kernel`'s descriptor (see above), −1 past the end. Read from the constants the kernels use. */
export function layoutOffset(kernel: i32, field: i32): i32 {
  if (kernel == 0) {
    switch (field) {
      case 0: return <i32>PW_INPUT;
      case 1: return <i32>PW_WEIGHTS;
      case 2: return <i32>PW_BIAS;
      case 3: return <i32>PW_RESIDUAL;
      case 4: return <i32>PW_OUTPUT;
      case 5: return <i32>PW_PIXEL_START;
      case 6: return <i32>PW_PIXEL_END;
      case 7: return <i32>PW_IN_CHANNELS;
      case 8: return <i32>PW_OUT_CHANNELS;
      case 9: return <i32>PW_CHANNEL_START;
      case 10: return <i32>PW_CHANNEL_END;
      case 11: return <i32>PW_IN_STRIDE;
      case 12: return <i32>PW_OUT_STRIDE;
      case 13: return <i32>PW_ACCUMULATE;
      case 14: return <i32>PW_CLAMP_MIN | F32;
      case 15: return <i32>PW_CLAMP_MAX | F32;
    }
    return -1;
  }
  if (kernel == 1) {
    switch (field) {
      case 0: return <i32>DW_INPUT;
      case 1: return <i32>DW_WEIGHTS;
      case 2: return <i32>DW_OUTPUT;
      case 3: return <i32>DW_IN_HEIGHT;
      case 4: return <i32>DW_IN_WIDTH;
      case 5: return <i32>DW_CHANNELS;
      case 6: return <i32>DW_IN_STRIDE;
      case 7: return <i32>DW_OUT_STRIDE;
      case 8: return <i32>DW_STRIDE_H;
      case 9: return <i32>DW_STRIDE_W;
      case 10: return <i32>DW_DILATION_H;
      case 11: return <i32>DW_DILATION_W;
      case 12: return <i32>DW_PAD_TOP;
      case 13: return <i32>DW_PAD_LEFT;
      case 14: return <i32>DW_OUT_HEIGHT;
      case 15: return <i32>DW_OUT_WIDTH;
      case 16: return <i32>DW_ROW_START;
      case 17: return <i32>DW_ROW_END;
      case 18: return <i32>DW_INPUT_ROW_BASE;
      case 19: return <i32>DW_CLAMP_MIN | F32;
      case 20: return <i32>DW_CLAMP_MAX | F32;
    }
    return -1;
  }
  if (kernel == 2) {
    switch (field) {
      case 0: return <i32>CV_INPUT;
      case 1: return <i32>CV_WEIGHTS;
      case 2: return <i32>CV_BIAS;
      case 3: return <i32>CV_OUTPUT;
      case 4: return <i32>CV_IN_HEIGHT;
      case 5: return <i32>CV_IN_WIDTH;
      case 6: return <i32>CV_IN_CHANNELS;
      case 7: return <i32>CV_OUT_CHANNELS;
      case 8: return <i32>CV_KERNEL_H;
      case 9: return <i32>CV_KERNEL_W;
      case 10: return <i32>CV_STRIDE_H;
      case 11: return <i32>CV_STRIDE_W;
      case 12: return <i32>CV_DILATION_H;
      case 13: return <i32>CV_DILATION_W;
      case 14: return <i32>CV_PAD_TOP;
      case 15: return <i32>CV_PAD_LEFT;
      case 16: return <i32>CV_OUT_HEIGHT;
      case 17: return <i32>CV_OUT_WIDTH;
      case 18: return <i32>CV_ROW_START;
      case 19: return <i32>CV_ROW_END;
      case 20: return <i32>CV_CLAMP_MIN | F32;
      case 21: return <i32>CV_CLAMP_MAX | F32;
    }
    return -1;
  }
  if (kernel == 3) {
    switch (field) {
      case 0: return <i32>GP_INPUT;
      case 1: return <i32>GP_OUTPUT;
      case 2: return <i32>GP_PIXELS;
      case 3: return <i32>GP_CHANNELS;
      case 4: return <i32>GP_STRIDE;
      case 5: return <i32>GP_CHANNEL_START;
      case 6: return <i32>GP_CHANNEL_END;
    }
    return -1;
  }
  return -1;
}

/** Size in bytes of kernel `kernel`'s descriptor, −1 for an unknown kernel. */
export function descriptorBytes(kernel: i32): i32 {
  switch (kernel) {
    case 0: return PW_BYTES;
    case 1: return DW_BYTES;
    case 2: return CV_BYTES;
    case 3: return GP_BYTES;
  }
  return -1;
}

/** The pointwise weight panel width NR the kernels were compiled with (the TS packer must agree). */
export function pointwisePanelWidth(): i32 {
  return PW_NR;
}

/** pointwisePaddedChannels as compiled in (the TS packer must agree). */
export function pointwisePackedChannels(channels: i32): i32 {
  return pointwisePaddedChannels(channels);
}

/** The conv2dDirect output channel alignment the kernels were compiled with (the TS packer must agree). */
export function conv2dChannelAlign(): i32 {
  return CONV_COUT_ALIGN;
}
