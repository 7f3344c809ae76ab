/**
 * loadImageFolder's walk of the folder tree, against torchvision's ImageFolder: symlinks followed,
 * nested folders counted for their class in sorted(os.walk(...)) order, code-point class order,
 * and refusals of folders that would give an untrainable dataset. Real PNG/JPEG files made with
 * sharp in a temporary folder; the other tests of loadImageFolder are in test/data/dataset.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { loadImageFolder } from '../../src/node/image-folder.js';
import { assertRejected } from '../helpers.js';

/** A 3×2 image of one gray level, so each sample's pixels say which file it came from. */
async function writeImage(path: string, level: number, format: 'png' | 'jpeg' = 'png'): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const raw = sharp(new Uint8Array(3 * 2 * 3).fill(level), { raw: { width: 3, height: 2, channels: 3 } });
  await (format === 'png' ? raw.png() : raw.jpeg({ quality: 100 })).toFile(path);
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-ts-image-folder-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('loadImageFolder follows symlinks to class folders, to nested folders and to files', async () => {
  await withTempDir(async (tmp) => {
    const root = join(tmp, 'photos');
    const elsewhere = join(tmp, 'elsewhere');
    await writeImage(join(root, 'cat', 'a.png'), 10);
    await writeImage(join(elsewhere, 'dogs', 'd.png'), 20);
    await writeImage(join(elsewhere, 'more', 'm.png'), 30);
    await writeImage(join(elsewhere, 'single.png'), 40);
    symlinkSync(join(elsewhere, 'dogs'), join(root, 'dog')); // a class folder that is a symlink
    symlinkSync(join(elsewhere, 'more'), join(root, 'cat', 'linked')); // a nested folder that is a symlink
    symlinkSync(join(elsewhere, 'single.png'), join(root, 'cat', 'b.png')); // an image that is a symlink

    const ds = await loadImageFolder(root);
    assert.deepEqual(ds.classes, ['cat', 'dog']);
    assert.deepEqual(ds.files.map((f) => relative(root, f)), [join('cat', 'a.png'), join('cat', 'b.png'), join('cat', 'linked', 'm.png'), join('dog', 'd.png')]);
    assert.deepEqual([0, 1, 2, 3].map((i) => ds.get(i).label), [0, 0, 0, 1]);
    assert.deepEqual([0, 1, 2, 3].map((i) => ds.get(i).pixels[0]), [10, 40, 30, 20]);
  });
});

test('loadImageFolder counts images in nested folders for their class, in torchvision order, and survives a symlink cycle', async () => {
  await withTempDir(async (root) => {
    await writeImage(join(root, 'cat', 'z.png'), 1);
    await writeImage(join(root, 'cat', 'a.jpg'), 2, 'jpeg');
    await writeImage(join(root, 'cat', 'a', 'b.png'), 3);
    await writeImage(join(root, 'cat', 'a', 'deeper', 'c.png'), 4);
    await writeImage(join(root, 'cat', 'a b', 'd.png'), 5);
    await writeImage(join(root, 'cat', '.hidden', 'h.png'), 6);
    await writeImage(join(root, 'dog', 'x', 'y', 'e.png'), 7);
    writeFileSync(join(root, 'cat', 'a', 'notes.txt'), 'not an image');
    // Links back to a folder being walked: to the class folder and to the dataset folder.
    symlinkSync('..', join(root, 'cat', 'a', 'loop'));
    symlinkSync(root, join(root, 'dog', 'x', 'top'));

    const ds = await loadImageFolder(root);
    assert.deepEqual(ds.classes, ['cat', 'dog']);
    // sorted(os.walk(cat)): folders by path ('cat/a' < 'cat/a b' < 'cat/a/deeper', as ' ' < '/'), files in each by name.
    assert.deepEqual(
      ds.files.map((f) => relative(root, f)),
      [
        join('cat', 'a.jpg'),
        join('cat', 'z.png'),
        join('cat', 'a', 'b.png'),
        join('cat', 'a b', 'd.png'),
        join('cat', 'a', 'deeper', 'c.png'),
        join('dog', 'x', 'y', 'e.png'),
      ],
    );
    assert.deepEqual(Array.from({ length: ds.size }, (_, i) => ds.get(i).label), [0, 0, 0, 0, 0, 1]);
    assert.deepEqual(Array.from({ length: ds.size }, (_, i) => ds.get(i).pixels[0]), [2, 1, 3, 5, 4, 7]);
  });
});

test('loadImageFolder refuses a folder without class folders or without JPEG/PNG images, naming what it found', async () => {
  await withTempDir(async (root) => {
    // Images straight in the folder (a common mistake), no class folders.
    await writeImage(join(root, 'flat', 'b.png'), 1);
    await writeImage(join(root, 'flat', 'a.png'), 1);
    await assertRejected(loadImageFolder(join(root, 'flat')), 'INVALID_ARGUMENT', /flat has no class sub-folders \(found 2 files but no folders, e\.g\. a\.png\); expected <dir>\/<class name>\/<image files>/);

    // Class folders, but only files of other formats.
    const photos = join(root, 'photos');
    mkdirSync(join(photos, 'cat', 'sub'), { recursive: true });
    mkdirSync(join(photos, 'dog'));
    mkdirSync(join(photos, 'fish'));
    await sharp(new Uint8Array(12).fill(9), { raw: { width: 2, height: 2, channels: 3 } }).webp().toFile(join(photos, 'cat', 'sub', 'a.webp'));
    writeFileSync(join(photos, 'dog', 'notes.txt'), 'text');
    writeFileSync(join(photos, 'dog', '.DS_Store'), 'hidden, not counted');
    await assertRejected(
      loadImageFolder(photos),
      'INVALID_ARGUMENT',
      /photos has no JPEG or PNG images \(\.jpg, \.jpeg, \.png\) in its 3 class folders \(found 2 other files, e\.g\. cat\/sub\/a\.webp\)/,
    );
    rmSync(join(photos, 'cat'), { recursive: true });
    rmSync(join(photos, 'dog'), { recursive: true });
    await assertRejected(loadImageFolder(photos), 'INVALID_ARGUMENT', /photos has no JPEG or PNG images \(\.jpg, \.jpeg, \.png\) in its 1 class folder \(and no other files\)/);
  });
});

test('loadImageFolder refuses class folders without images, and classes whose every image was skipped as undecodable', async () => {
  await withTempDir(async (root) => {
    await writeImage(join(root, 'cat', 'a.png'), 1);
    mkdirSync(join(root, 'dog'));
    mkdirSync(join(root, 'fish'));
    writeFileSync(join(root, 'fish', 'fish.gif'), 'GIF89a');
    await assertRejected(
      loadImageFolder(root),
      'INVALID_ARGUMENT',
      /2 class folders of .* have no JPEG or PNG images \(\.jpg, \.jpeg, \.png\): dog \(empty\), fish \(1 other file, e\.g\. fish\.gif\); every class needs at least one image/,
    );

    // With skipBad, a class whose only image does not decode is empty too.
    rmSync(join(root, 'fish'), { recursive: true });
    const png = readFileSync(join(root, 'cat', 'a.png'));
    writeFileSync(join(root, 'dog', 'broken.png'), png.subarray(0, 30));
    await assertRejected(loadImageFolder(root), 'INVALID_FORMAT', /broken\.png: not an image/);
    await assertRejected(
      loadImageFolder(root, { skipBad: true }),
      'INVALID_FORMAT',
      /every image of class folder dog .* was skipped as undecodable \(skipBad\), leaving the class empty; first: .*broken\.png: not an image/,
    );
    // A skipped file in a class that keeps another image is fine.
    await writeImage(join(root, 'dog', 'good.png'), 2);
    const ds = await loadImageFolder(root, { skipBad: true });
    assert.deepEqual(ds.classes, ['cat', 'dog']);
    assert.deepEqual(ds.files.map((f) => relative(root, f)), [join('cat', 'a.png'), join('dog', 'good.png')]);
    assert.deepEqual(ds.skipped.map((s) => relative(root, s.path)), [join('dog', 'broken.png')]);
  });
});

test('loadImageFolder orders classes and files by code point (Python sorted), not UTF-16 units; case-only differences are two classes', async () => {
  await withTempDir(async (root) => {
    const emoji = '\u{1F600}'; // U+1F600: UTF-16 D83D DE00, which sorts before U+FF5E by code unit
    const tilde = '\uFF5E';
    await writeImage(join(root, emoji, 'a.png'), 1);
    await writeImage(join(root, tilde, 'a.png'), 2);
    await writeImage(join(root, 'cat', `${emoji}.png`), 3);
    await writeImage(join(root, 'cat', `${tilde}.png`), 4);
    await writeImage(join(root, 'Cat', 'a.png'), 5);

    const ds = await loadImageFolder(root);
    assert.deepEqual(ds.classes, ['Cat', 'cat', tilde, emoji]);
    assert.deepEqual(ds.files.map((f) => relative(root, f)), [join('Cat', 'a.png'), join('cat', `${tilde}.png`), join('cat', `${emoji}.png`), join(tilde, 'a.png'), join(emoji, 'a.png')]);
    assert.deepEqual(Array.from({ length: ds.size }, (_, i) => ds.get(i).label), [0, 1, 1, 2, 3]);
  });
});
