/**
 * Batches for training and evaluation (browser-safe).
 *
 * `DataLoader` walks a dataset in batches of (N, H, W, 3) float32 NHWC images and (N) int32 labels.
 * Everything random is a pure function of the loader's seed and the position in the run:
 * - the order of epoch e is seededPermutation(size, deriveSeed(seed, e, SHUFFLE)) (or file order
 *   with `shuffle: false`);
 * - the augmentation of the k-th sample of epoch e draws from mulberry32(deriveSeed(seed, e, k, AUGMENT)).
 * So batch b of epoch e is always the same images with the same augmentation, whatever happened
 * before: saving `position` ({ epoch, batch }: the next batch to produce) with a checkpoint and
 * restoring it resumes the run exactly.
 *
 * The loader owns one images buffer and one labels buffer and fills them for every batch: a batch
 * is valid until the next call (copy it to keep it). The last, smaller batch of an epoch (when the
 * size is not a multiple of the batch size and `dropLast` is false) is a view of the first N images.
 */
import { MobileNetError } from '../errors.js';
import { mulberry32 } from '../runtime/weights.js';
import { createTransform, type ImageTransform, type TransformConfig } from './augment.js';
import { checkSeed, deriveSeed, seededPermutation, type Dataset } from './dataset.js';

/** Tags that keep the shuffle and augmentation streams apart. */
const SHUFFLE_STREAM = 1;
const AUGMENT_STREAM = 2;

export interface LoaderPosition {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based index of the next batch within the epoch. */
  batch: number;
}

export interface Batch {
  /** (size, H, W, 3) NHWC */
  images: Float32Array;
  /** (size) */
  labels: Int32Array;
  /** Number of images in this batch (≤ batchSize). */
  size: number;
  epoch: number;
  /** Index of this batch within its epoch. */
  index: number;
  /** Output image height and width. */
  height: number;
  width: number;
}

export interface LoaderOptions {
  batchSize: number;
  /** Geometry, normalization and augmentation parameters (see augment.ts). */
  transform: TransformConfig;
  /** Shuffle every epoch. Default true. */
  shuffle?: boolean;
  /** Leave out the last batch of an epoch when it would be smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Apply the random augmentations of `transform` (crop, flip). Default false. */
  augment?: boolean;
  /** Base seed of the shuffles and augmentations. Default 0. */
  seed?: number;
  /** Where to start (resume). Default { epoch: 0, batch: 0 }. */
  position?: LoaderPosition;
}

export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly augment: boolean;
  readonly seed: number;
  readonly transform: ImageTransform;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  private readonly images: Float32Array; // (batchSize, H, W, 3)
  private readonly labels: Int32Array; // (batchSize)
  private current: LoaderPosition = { epoch: 0, batch: 0 };
  private orderEpoch = -1;
  private order: Int32Array = new Int32Array(0);

  constructor(dataset: Dataset, options: LoaderOptions) {
    const { batchSize } = options;
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
      throw new MobileNetError('INVALID_ARGUMENT', `DataLoader: batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.augment = options.augment ?? false;
    this.seed = checkSeed(options.seed ?? 0, 'DataLoader');
    this.transform = createTransform(options.transform, { height: dataset.height, width: dataset.width, channels: dataset.channels });
    this.batchesPerEpoch = this.dropLast ? Math.floor(dataset.size / batchSize) : Math.ceil(dataset.size / batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new MobileNetError(
        'INVALID_ARGUMENT',
        dataset.size === 0
          ? 'DataLoader: the dataset is empty'
          : `DataLoader: ${dataset.size} samples make no full batch of ${batchSize} with dropLast; lower the batch size or set dropLast: false`,
      );
    }
    this.images = new Float32Array(batchSize * this.transform.outputLength);
    this.labels = new Int32Array(batchSize);
    if (options.position !== undefined) this.position = options.position;
  }

  /** The next batch to produce (a copy; assign to seek). */
  get position(): LoaderPosition {
    return { ...this.current };
  }

  set position(position: LoaderPosition) {
    const { epoch, batch } = position ?? ({} as Partial<LoaderPosition>);
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
      throw new MobileNetError('INVALID_ARGUMENT', `DataLoader position: epoch must be a non-negative integer, got ${String(epoch)}`);
    }
    if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 0 || batch > this.batchesPerEpoch) {
      throw new MobileNetError(
        'INVALID_ARGUMENT',
        `DataLoader position: batch must be an integer from 0 to ${this.batchesPerEpoch} (batches per epoch), got ${String(batch)}`,
      );
    }
    // batch = batchesPerEpoch (saved right after an epoch's last batch) means the next epoch's start.
    this.current = batch === this.batchesPerEpoch ? { epoch: epoch + 1, batch: 0 } : { epoch, batch };
  }

  /** Output image height and width. */
  get outputHeight(): number {
    return this.transform.outputHeight;
  }

  get outputWidth(): number {
    return this.transform.outputWidth;
  }

  /** The dataset indices of `epoch` in visiting order. */
  epochOrder(epoch: number): Int32Array {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new MobileNetError('INVALID_ARGUMENT', `DataLoader: epoch must be a non-negative integer, got ${epoch}`);
    }
    if (epoch !== this.orderEpoch) {
      if (this.shuffle) {
        this.order = seededPermutation(this.dataset.size, deriveSeed(this.seed, epoch, SHUFFLE_STREAM));
      } else if (this.order.length !== this.dataset.size || this.orderEpoch < 0) {
        this.order = new Int32Array(this.dataset.size);
        for (let i = 0; i < this.order.length; i++) this.order[i] = i;
      }
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  /** Number of images in batch `index` of an epoch. */
  batchLength(index: number): number {
    return Math.min(this.batchSize, this.dataset.size - index * this.batchSize);
  }

  /**
   * Batch `index` of `epoch` (random access; does not move `position`). The returned arrays are
   * the loader's buffers, overwritten by the next call.
   */
  batch(epoch: number, index: number): Batch {
    if (!Number.isInteger(index) || index < 0 || index >= this.batchesPerEpoch) {
      throw new MobileNetError('INVALID_ARGUMENT', `DataLoader: batch index must be from 0 to ${this.batchesPerEpoch - 1}, got ${index}`);
    }
    const order = this.epochOrder(epoch);
    const size = this.batchLength(index);
    const imageLength = this.transform.outputLength;
    const first = index * this.batchSize;
    for (let i = 0; i < size; i++) {
      const k = first + i;
      const sample = this.dataset.get(order[k]!);
      const random = this.augment && this.transform.augments ? mulberry32(deriveSeed(this.seed, epoch, k, AUGMENT_STREAM)) : undefined;
      this.transform.apply(sample.pixels, this.images.subarray(i * imageLength, (i + 1) * imageLength), random);
      this.labels[i] = sample.label;
    }
    return {
      images: size === this.batchSize ? this.images : this.images.subarray(0, size * imageLength),
      labels: size === this.batchSize ? this.labels : this.labels.subarray(0, size),
      size,
      epoch,
      index,
      height: this.transform.outputHeight,
      width: this.transform.outputWidth,
    };
  }

  /** The batch at `position`, then advance `position` (into the next epoch after the last batch). */
  next(): Batch {
    const { epoch, batch } = this.current;
    const result = this.batch(epoch, batch);
    this.current = batch + 1 === this.batchesPerEpoch ? { epoch: epoch + 1, batch: 0 } : { epoch, batch: batch + 1 };
    return result;
  }

  /**
   * The remaining batches of the current epoch, from `position` to its end; `position` advances
   * as each batch is handed out, so saving it inside the loop body resumes after that batch.
   */
  *epoch(): Generator<Batch, void, undefined> {
    const epoch = this.current.epoch;
    while (this.current.epoch === epoch) yield this.next();
  }
}
