/**
 * mobilenet-ts for Node (`mobilenet-ts/node`): files, images and downloads on top of the
 * browser-safe core in `mobilenet-ts`.
 */
export {
  loadModel,
  loadImages,
  classifyImages,
  embedImages,
  classifyImageChunks,
  embedImageChunks,
  loadImageChunks,
  predictLogits,
  IMAGE_CHUNK,
  type LoadModelOptions,
  type ImageOutcome,
  type ImageFailure,
  type ImageChunk,
  type ChunkOptions,
} from './model.js';
export { decodeImage, loadImageTensor, type DecodedImage } from './image.js';
export { readFileBytes, writeFileAtomic } from './fs.js';
export { fetchPretrained, downloadFile, type FetchPretrainedOptions } from './download.js';
export { defaultCacheDir, cachedWeightsPath } from './cache.js';
export { useNodeRuntime } from './runtime.js';
export { runTraining, evaluateModel, SAMPLE_DIR, CHECKPOINT_MINUTES, type TrainRunOptions, type TrainRunResult, type EpochRecord } from './train.js';
export { svgToPng, writePlot } from './plot.js';
export { runTradeoff, type TradeoffOptions, type TradeoffResult } from './tradeoff.js';
export { loadFashionMnist, downloadFashionMnist, ensureFashionMnist, fashionMnistCacheDir, type LoadFashionMnistOptions, type DownloadFashionMnistOptions, type EnsureFashionMnistOptions } from './datasets.js';
export { loadImageFolder, type LoadImageFolderOptions } from './image-folder.js';
