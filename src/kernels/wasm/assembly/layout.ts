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
/**
 * Floats of the thread-private scratch of channelStats, bnBackwardReduce and bnBackwardApply: four
 * planes of the channel count rounded up to a multiple of 4.
 */
@inline export function statsScratchFloats(channels: i32): i32 {
  return ((channels + 3) & ~3) << 2;
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

// ---- training kernels (backward passes, training-mode batch norm) ----

// pointwiseWeightGrad
export const PWG_INPUT: usize = 0;
export const PWG_GRAD_OUTPUT: usize = 4;
export const PWG_GRAD_WEIGHT: usize = 8;
export const PWG_GRAD_BIAS: usize = 12;
export const PWG_PIXEL_START: usize = 16;
export const PWG_PIXEL_END: usize = 20;
export const PWG_IN_CHANNELS: usize = 24;
export const PWG_OUT_CHANNELS: usize = 28;
export const PWG_IN_CHANNEL_START: usize = 32;
export const PWG_IN_CHANNEL_END: usize = 36;
export const PWG_IN_STRIDE: usize = 40;
export const PWG_GRAD_STRIDE: usize = 44;
export const PWG_ACCUMULATE: usize = 48;
export const PWG_BYTES: i32 = 52;

// depthwise3x3BackwardInput
export const DBI_GRAD_OUTPUT: usize = 0;
export const DBI_WEIGHTS: usize = 4;
export const DBI_GRAD_INPUT: usize = 8;
export const DBI_IN_HEIGHT: usize = 12;
export const DBI_IN_WIDTH: usize = 16;
export const DBI_CHANNELS: usize = 20;
export const DBI_IN_STRIDE: usize = 24;
export const DBI_OUT_STRIDE: usize = 28;
export const DBI_STRIDE_H: usize = 32;
export const DBI_STRIDE_W: usize = 36;
export const DBI_DILATION_H: usize = 40;
export const DBI_DILATION_W: usize = 44;
export const DBI_PAD_TOP: usize = 48;
export const DBI_PAD_LEFT: usize = 52;
export const DBI_OUT_HEIGHT: usize = 56;
export const DBI_OUT_WIDTH: usize = 60;
export const DBI_ROW_START: usize = 64;
export const DBI_ROW_END: usize = 68;
export const DBI_BYTES: i32 = 72;

// depthwise3x3BackwardWeight
export const DBW_INPUT: usize = 0;
export const DBW_GRAD_OUTPUT: usize = 4;
export const DBW_GRAD_WEIGHT: usize = 8;
export const DBW_GRAD_BIAS: usize = 12;
export const DBW_IN_HEIGHT: usize = 16;
export const DBW_IN_WIDTH: usize = 20;
export const DBW_CHANNELS: usize = 24;
export const DBW_IN_STRIDE: usize = 28;
export const DBW_OUT_STRIDE: usize = 32;
export const DBW_STRIDE_H: usize = 36;
export const DBW_STRIDE_W: usize = 40;
export const DBW_DILATION_H: usize = 44;
export const DBW_DILATION_W: usize = 48;
export const DBW_PAD_TOP: usize = 52;
export const DBW_PAD_LEFT: usize = 56;
export const DBW_OUT_HEIGHT: usize = 60;
export const DBW_OUT_WIDTH: usize = 64;
export const DBW_ROW_START: usize = 68;
export const DBW_ROW_END: usize = 72;
export const DBW_CHANNEL_START: usize = 76;
export const DBW_CHANNEL_END: usize = 80;
export const DBW_ACCUMULATE: usize = 84;
export const DBW_BYTES: i32 = 88;

// conv2dDirectBackwardWeight
export const CBW_INPUT: usize = 0;
export const CBW_GRAD_OUTPUT: usize = 4;
export const CBW_GRAD_WEIGHT: usize = 8;
export const CBW_GRAD_BIAS: usize = 12;
export const CBW_IN_HEIGHT: usize = 16;
export const CBW_IN_WIDTH: usize = 20;
export const CBW_IN_CHANNELS: usize = 24;
export const CBW_OUT_CHANNELS: usize = 28;
export const CBW_KERNEL_H: usize = 32;
export const CBW_KERNEL_W: usize = 36;
export const CBW_STRIDE_H: usize = 40;
export const CBW_STRIDE_W: usize = 44;
export const CBW_DILATION_H: usize = 48;
export const CBW_DILATION_W: usize = 52;
export const CBW_PAD_TOP: usize = 56;
export const CBW_PAD_LEFT: usize = 60;
export const CBW_OUT_HEIGHT: usize = 64;
export const CBW_OUT_WIDTH: usize = 68;
export const CBW_ROW_START: usize = 72;
export const CBW_ROW_END: usize = 76;
export const CBW_CHANNEL_START: usize = 80;
export const CBW_CHANNEL_END: usize = 84;
export const CBW_ACCUMULATE: usize = 88;
export const CBW_BYTES: i32 = 92;

// channelStats
export const CS_INPUT: usize = 0;
export const CS_SHIFT: usize = 4;
export const CS_SUM: usize = 8;
export const CS_SUM_SQUARES: usize = 12;
export const CS_SCRATCH: usize = 16;
export const CS_PIXEL_START: usize = 20;
export const CS_PIXEL_END: usize = 24;
export const CS_CHANNELS: usize = 28;
export const CS_STRIDE: usize = 32;
export const CS_CHANNEL_START: usize = 36;
export const CS_CHANNEL_END: usize = 40;
export const CS_ACCUMULATE: usize = 44;
export const CS_BYTES: i32 = 48;

// scaleShiftClamp
export const SSC_INPUT: usize = 0;
export const SSC_OUTPUT: usize = 4;
export const SSC_SCALE: usize = 8;
export const SSC_SHIFT: usize = 12;
export const SSC_PIXEL_START: usize = 16;
export const SSC_PIXEL_END: usize = 20;
export const SSC_CHANNELS: usize = 24;
export const SSC_STRIDE: usize = 28;
export const SSC_CLAMP_MIN: usize = 32;
export const SSC_CLAMP_MAX: usize = 36;
export const SSC_BYTES: i32 = 40;

// bnBackwardReduce
export const BBR_INPUT: usize = 0;
export const BBR_ACTIVATION: usize = 4;
export const BBR_GRAD_OUTPUT: usize = 8;
export const BBR_MEAN: usize = 12;
export const BBR_INV_STD: usize = 16;
export const BBR_SUM_DZ: usize = 20;
export const BBR_SUM_DZ_XHAT: usize = 24;
export const BBR_SCRATCH: usize = 28;
export const BBR_PIXEL_START: usize = 32;
export const BBR_PIXEL_END: usize = 36;
export const BBR_CHANNELS: usize = 40;
export const BBR_STRIDE: usize = 44;
export const BBR_CHANNEL_START: usize = 48;
export const BBR_CHANNEL_END: usize = 52;
export const BBR_ACCUMULATE: usize = 56;
export const BBR_CLAMP_MIN: usize = 60;
export const BBR_CLAMP_MAX: usize = 64;
export const BBR_BYTES: i32 = 68;

// bnBackwardApply
export const BBA_INPUT: usize = 0;
export const BBA_ACTIVATION: usize = 4;
export const BBA_GRAD_OUTPUT: usize = 8;
export const BBA_GRAD_INPUT: usize = 12;
export const BBA_MEAN: usize = 16;
export const BBA_INV_STD: usize = 20;
export const BBA_GAMMA: usize = 24;
export const BBA_SUM_DZ: usize = 28;
export const BBA_SUM_DZ_XHAT: usize = 32;
export const BBA_SCRATCH: usize = 36;
export const BBA_COUNT: usize = 40;
export const BBA_PIXEL_START: usize = 44;
export const BBA_PIXEL_END: usize = 48;
export const BBA_CHANNELS: usize = 52;
export const BBA_STRIDE: usize = 56;
export const BBA_CLAMP_MIN: usize = 60;
export const BBA_CLAMP_MAX: usize = 64;
export const BBA_BYTES: i32 = 68;

// addInPlace
export const AIP_TARGET: usize = 0;
export const AIP_SOURCE: usize = 4;
export const AIP_START: usize = 8;
export const AIP_END: usize = 12;
export const AIP_BYTES: i32 = 16;

// globalAvgPoolBackward
export const GPB_GRAD_OUTPUT: usize = 0;
export const GPB_GRAD_INPUT: usize = 4;
export const GPB_PIXELS: usize = 8;
export const GPB_CHANNELS: usize = 12;
export const GPB_STRIDE: usize = 16;
export const GPB_PIXEL_START: usize = 20;
export const GPB_PIXEL_END: usize = 24;
export const GPB_BYTES: i32 = 28;

// Kernel ids of layoutOffset/descriptorBytes: 0 pointwise, 1 depthwise3x3, 2 conv2dDirect, 3 globalAvgPool,
// 4 pointwiseWeightGrad, 5 depthwise3x3BackwardInput, 6 depthwise3x3BackwardWeight, 7 conv2dDirectBackwardWeight,
// 8 channelStats, 9 scaleShiftClamp, 10 bnBackwardReduce, 11 bnBackwardApply, 12 addInPlace, 13 globalAvgPoolBackward.
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
  if (kernel == 4) {
    switch (field) {
      case 0: return <i32>PWG_INPUT;
      case 1: return <i32>PWG_GRAD_OUTPUT;
      case 2: return <i32>PWG_GRAD_WEIGHT;
      case 3: return <i32>PWG_GRAD_BIAS;
      case 4: return <i32>PWG_PIXEL_START;
      case 5: return <i32>PWG_PIXEL_END;
      case 6: return <i32>PWG_IN_CHANNELS;
      case 7: return <i32>PWG_OUT_CHANNELS;
      case 8: return <i32>PWG_IN_CHANNEL_START;
      case 9: return <i32>PWG_IN_CHANNEL_END;
      case 10: return <i32>PWG_IN_STRIDE;
      case 11: return <i32>PWG_GRAD_STRIDE;
      case 12: return <i32>PWG_ACCUMULATE;
    }
    return -1;
  }
  if (kernel == 5) {
    switch (field) {
      case 0: return <i32>DBI_GRAD_OUTPUT;
      case 1: return <i32>DBI_WEIGHTS;
      case 2: return <i32>DBI_GRAD_INPUT;
      case 3: return <i32>DBI_IN_HEIGHT;
      case 4: return <i32>DBI_IN_WIDTH;
      case 5: return <i32>DBI_CHANNELS;
      case 6: return <i32>DBI_IN_STRIDE;
      case 7: return <i32>DBI_OUT_STRIDE;
      case 8: return <i32>DBI_STRIDE_H;
      case 9: return <i32>DBI_STRIDE_W;
      case 10: return <i32>DBI_DILATION_H;
      case 11: return <i32>DBI_DILATION_W;
      case 12: return <i32>DBI_PAD_TOP;
      case 13: return <i32>DBI_PAD_LEFT;
      case 14: return <i32>DBI_OUT_HEIGHT;
      case 15: return <i32>DBI_OUT_WIDTH;
      case 16: return <i32>DBI_ROW_START;
      case 17: return <i32>DBI_ROW_END;
    }
    return -1;
  }
  if (kernel == 6) {
    switch (field) {
      case 0: return <i32>DBW_INPUT;
      case 1: return <i32>DBW_GRAD_OUTPUT;
      case 2: return <i32>DBW_GRAD_WEIGHT;
      case 3: return <i32>DBW_GRAD_BIAS;
      case 4: return <i32>DBW_IN_HEIGHT;
      case 5: return <i32>DBW_IN_WIDTH;
      case 6: return <i32>DBW_CHANNELS;
      case 7: return <i32>DBW_IN_STRIDE;
      case 8: return <i32>DBW_OUT_STRIDE;
      case 9: return <i32>DBW_STRIDE_H;
      case 10: return <i32>DBW_STRIDE_W;
      case 11: return <i32>DBW_DILATION_H;
      case 12: return <i32>DBW_DILATION_W;
      case 13: return <i32>DBW_PAD_TOP;
      case 14: return <i32>DBW_PAD_LEFT;
      case 15: return <i32>DBW_OUT_HEIGHT;
      case 16: return <i32>DBW_OUT_WIDTH;
      case 17: return <i32>DBW_ROW_START;
      case 18: return <i32>DBW_ROW_END;
      case 19: return <i32>DBW_CHANNEL_START;
      case 20: return <i32>DBW_CHANNEL_END;
      case 21: return <i32>DBW_ACCUMULATE;
    }
    return -1;
  }
  if (kernel == 7) {
    switch (field) {
      case 0: return <i32>CBW_INPUT;
      case 1: return <i32>CBW_GRAD_OUTPUT;
      case 2: return <i32>CBW_GRAD_WEIGHT;
      case 3: return <i32>CBW_GRAD_BIAS;
      case 4: return <i32>CBW_IN_HEIGHT;
      case 5: return <i32>CBW_IN_WIDTH;
      case 6: return <i32>CBW_IN_CHANNELS;
      case 7: return <i32>CBW_OUT_CHANNELS;
      case 8: return <i32>CBW_KERNEL_H;
      case 9: return <i32>CBW_KERNEL_W;
      case 10: return <i32>CBW_STRIDE_H;
      case 11: return <i32>CBW_STRIDE_W;
      case 12: return <i32>CBW_DILATION_H;
      case 13: return <i32>CBW_DILATION_W;
      case 14: return <i32>CBW_PAD_TOP;
      case 15: return <i32>CBW_PAD_LEFT;
      case 16: return <i32>CBW_OUT_HEIGHT;
      case 17: return <i32>CBW_OUT_WIDTH;
      case 18: return <i32>CBW_ROW_START;
      case 19: return <i32>CBW_ROW_END;
      case 20: return <i32>CBW_CHANNEL_START;
      case 21: return <i32>CBW_CHANNEL_END;
      case 22: return <i32>CBW_ACCUMULATE;
    }
    return -1;
  }
  if (kernel == 8) {
    switch (field) {
      case 0: return <i32>CS_INPUT;
      case 1: return <i32>CS_SHIFT;
      case 2: return <i32>CS_SUM;
      case 3: return <i32>CS_SUM_SQUARES;
      case 4: return <i32>CS_SCRATCH;
      case 5: return <i32>CS_PIXEL_START;
      case 6: return <i32>CS_PIXEL_END;
      case 7: return <i32>CS_CHANNELS;
      case 8: return <i32>CS_STRIDE;
      case 9: return <i32>CS_CHANNEL_START;
      case 10: return <i32>CS_CHANNEL_END;
      case 11: return <i32>CS_ACCUMULATE;
    }
    return -1;
  }
  if (kernel == 9) {
    switch (field) {
      case 0: return <i32>SSC_INPUT;
      case 1: return <i32>SSC_OUTPUT;
      case 2: return <i32>SSC_SCALE;
      case 3: return <i32>SSC_SHIFT;
      case 4: return <i32>SSC_PIXEL_START;
      case 5: return <i32>SSC_PIXEL_END;
      case 6: return <i32>SSC_CHANNELS;
      case 7: return <i32>SSC_STRIDE;
      case 8: return <i32>SSC_CLAMP_MIN | F32;
      case 9: return <i32>SSC_CLAMP_MAX | F32;
    }
    return -1;
  }
  if (kernel == 10) {
    switch (field) {
      case 0: return <i32>BBR_INPUT;
      case 1: return <i32>BBR_ACTIVATION;
      case 2: return <i32>BBR_GRAD_OUTPUT;
      case 3: return <i32>BBR_MEAN;
      case 4: return <i32>BBR_INV_STD;
      case 5: return <i32>BBR_SUM_DZ;
      case 6: return <i32>BBR_SUM_DZ_XHAT;
      case 7: return <i32>BBR_SCRATCH;
      case 8: return <i32>BBR_PIXEL_START;
      case 9: return <i32>BBR_PIXEL_END;
      case 10: return <i32>BBR_CHANNELS;
      case 11: return <i32>BBR_STRIDE;
      case 12: return <i32>BBR_CHANNEL_START;
      case 13: return <i32>BBR_CHANNEL_END;
      case 14: return <i32>BBR_ACCUMULATE;
      case 15: return <i32>BBR_CLAMP_MIN | F32;
      case 16: return <i32>BBR_CLAMP_MAX | F32;
    }
    return -1;
  }
  if (kernel == 11) {
    switch (field) {
      case 0: return <i32>BBA_INPUT;
      case 1: return <i32>BBA_ACTIVATION;
      case 2: return <i32>BBA_GRAD_OUTPUT;
      case 3: return <i32>BBA_GRAD_INPUT;
      case 4: return <i32>BBA_MEAN;
      case 5: return <i32>BBA_INV_STD;
      case 6: return <i32>BBA_GAMMA;
      case 7: return <i32>BBA_SUM_DZ;
      case 8: return <i32>BBA_SUM_DZ_XHAT;
      case 9: return <i32>BBA_SCRATCH;
      case 10: return <i32>BBA_COUNT;
      case 11: return <i32>BBA_PIXEL_START;
      case 12: return <i32>BBA_PIXEL_END;
      case 13: return <i32>BBA_CHANNELS;
      case 14: return <i32>BBA_STRIDE;
      case 15: return <i32>BBA_CLAMP_MIN | F32;
      case 16: return <i32>BBA_CLAMP_MAX | F32;
    }
    return -1;
  }
  if (kernel == 12) {
    switch (field) {
      case 0: return <i32>AIP_TARGET;
      case 1: return <i32>AIP_SOURCE;
      case 2: return <i32>AIP_START;
      case 3: return <i32>AIP_END;
    }
    return -1;
  }
  if (kernel == 13) {
    switch (field) {
      case 0: return <i32>GPB_GRAD_OUTPUT;
      case 1: return <i32>GPB_GRAD_INPUT;
      case 2: return <i32>GPB_PIXELS;
      case 3: return <i32>GPB_CHANNELS;
      case 4: return <i32>GPB_STRIDE;
      case 5: return <i32>GPB_PIXEL_START;
      case 6: return <i32>GPB_PIXEL_END;
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
    case 4: return PWG_BYTES;
    case 5: return DBI_BYTES;
    case 6: return DBW_BYTES;
    case 7: return CBW_BYTES;
    case 8: return CS_BYTES;
    case 9: return SSC_BYTES;
    case 10: return BBR_BYTES;
    case 11: return BBA_BYTES;
    case 12: return AIP_BYTES;
    case 13: return GPB_BYTES;
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

/** statsScratchFloats as compiled in (the TS helper must agree). */
export function trainingScratchFloats(channels: i32): i32 {
  return statsScratchFloats(channels);
}

/** The conv2dDirect output channel alignment the kernels were compiled with (the TS packer must agree). */
export function conv2dChannelAlign(): i32 {
  return CONV_COUT_ALIGN;
}
