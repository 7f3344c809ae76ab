/**
 * Downloads into the cache with an injected fetch (no test touches the network): atomic writes,
 * hash checks, HTTP and network failures, cache hits, aborts and Ctrl-C.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers.js';
import { MobileNetError } from '../../src/errors.js';
import { findPretrained, type PretrainedEntry } from '../../src/io/pretrained.js';
import { cachedWeightsPath, defaultCacheDir, digestMatches, sha256OfFile } from '../../src/node/cache.js';
import { downloadFile, fetchPretrained, type FetchLike } from '../../src/node/download.js';

const PAYLOAD = new Uint8Array(100_000).map((_, i) => (i * 7919) % 251);
const PAYLOAD_SHA256 = createHash('sha256').update(PAYLOAD).digest('hex');

function tempCache(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-ts-download-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A torchvision-like entry whose published hash prefix is that of PAYLOAD (or `prefix`). */
function fakeEntry(fields: Partial<PretrainedEntry> = {}): PretrainedEntry {
  return {
    ...findPretrained('mobilenet_v2'),
    url: 'https://download.example.invalid/models/fake_weights-0123abcd.pth',
    fileName: 'fake_weights-0123abcd.pth',
    sha256Prefix: PAYLOAD_SHA256.slice(0, 8),
    ...fields,
  };
}

interface FakeFetch {
  fetch: FetchLike;
  calls: string[];
}

/** Serves `bytes` in chunks of `chunkSize`; `onChunk` runs before each chunk is handed out. */
function servingFetch(
  bytes: Uint8Array,
  options: { status?: number; chunkSize?: number; contentLength?: number; onChunk?: (index: number) => void; failAfter?: number } = {},
): FakeFetch {
  const calls: string[] = [];
  const fetch: FetchLike = async (url) => {
    calls.push(url);
    const chunkSize = options.chunkSize ?? 16_384;
    let offset = 0;
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (options.failAfter !== undefined && offset >= options.failAfter) {
          controller.error(new TypeError('terminated', { cause: new Error('other side closed') }));
          return;
        }
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        options.onChunk?.(index++);
        controller.enqueue(bytes.slice(offset, offset + chunkSize));
        offset += chunkSize;
      },
    });
    const status = options.status ?? 200;
    return new Response(status === 200 ? body : 'Not Found', {
      status,
      statusText: status === 404 ? 'Not Found' : '',
      headers: { 'content-length': String(options.contentLength ?? bytes.length) },
    });
  };
  return { fetch, calls };
}

function failingFetch(): FakeFetch {
  const calls: string[] = [];
  return {
    calls,
    fetch: async (url) => {
      calls.push(url);
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND download.example.invalid') });
    },
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name)
    .sort();
}

function isNetworkError(url: string, path: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof MobileNetError, String(e));
    assert.equal(e.code, 'NETWORK_ERROR');
    assert.ok(e.message.includes(url), `message lacks the URL: ${e.message}`);
    assert.ok(e.message.includes(path), `message lacks the manual path: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

test('a download is written under a temporary name, verified, then renamed', async (t) => {
  const cacheDir = tempCache(t);
  const entry = fakeEntry();
  const finalPath = cachedWeightsPath(entry, cacheDir);
  const seen: string[][] = [];
  const { fetch, calls } = servingFetch(PAYLOAD, {
    onChunk: () => {
      assert.equal(existsSync(finalPath), false, 'the final name exists before the download finished');
      seen.push(filesUnder(cacheDir));
    },
  });
  const path = await fetchPretrained(entry, { cacheDir, fetchImpl: fetch, progress: true });
  assert.equal(path, finalPath);
  assert.equal(path, join(cacheDir, 'torchvision', 'fake_weights-0123abcd.pth'));
  assert.deepEqual(calls, [entry.url]);
  assert.deepEqual(readFileSync(path), Buffer.from(PAYLOAD));
  assert.ok(seen.length >= 2);
  // While streaming, exactly one hidden .part file sits next to the final name.
  for (const files of seen.slice(1)) {
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^\.fake_weights-0123abcd\.pth\.\d+\.[0-9a-f]{8}\.part$/);
  }
  assert.deepEqual(filesUnder(cacheDir), ['fake_weights-0123abcd.pth']);
});

test('a full sha256, when known, is checked too', async (t) => {
  const cacheDir = tempCache(t);
  const entry = fakeEntry({ sha256Prefix: undefined, sha256: PAYLOAD_SHA256.toUpperCase() });
  const path = await fetchPretrained(entry, { cacheDir, fetchImpl: servingFetch(PAYLOAD).fetch });
  assert.equal(await sha256OfFile(path), PAYLOAD_SHA256);
  const result = await downloadFile({ url: entry.url, path: join(cacheDir, 'again.bin'), sha256: PAYLOAD_SHA256 }, { fetchImpl: servingFetch(PAYLOAD).fetch });
  assert.deepEqual(result, { path: join(cacheDir, 'again.bin'), sha256: PAYLOAD_SHA256, bytes: PAYLOAD.length });
  assert.equal(digestMatches(PAYLOAD_SHA256, { sha256Prefix: PAYLOAD_SHA256.slice(0, 8) }), true);
  assert.equal(digestMatches(PAYLOAD_SHA256, {}), undefined);
});

test('a hash mismatch leaves no file and names both hashes', async (t) => {
  const cacheDir = tempCache(t);
  const entry = fakeEntry({ sha256Prefix: '00000000' });
  const path = cachedWeightsPath(entry, cacheDir);
  await assert.rejects(
    fetchPretrained(entry, { cacheDir, fetchImpl: servingFetch(PAYLOAD).fetch }),
    isNetworkError(entry.url, path, new RegExp(`expected sha256 starting with 00000000, found sha256 ${PAYLOAD_SHA256}`)),
  );
  assert.deepEqual(filesUnder(cacheDir), []);
  const full = fakeEntry({ sha256Prefix: undefined, sha256: 'ab'.repeat(32) });
  await assert.rejects(
    fetchPretrained(full, { cacheDir, fetchImpl: servingFetch(PAYLOAD).fetch }),
    isNetworkError(full.url, path, new RegExp(`expected sha256 ${'ab'.repeat(32)}, found sha256 ${PAYLOAD_SHA256}`)),
  );
  assert.deepEqual(filesUnder(cacheDir), []);
});

test('HTTP 404 gives NETWORK_ERROR with the URL and the manual path', async (t) => {
  const cacheDir = tempCache(t);
  const entry = fakeEntry();
  const path = cachedWeightsPath(entry, cacheDir);
  await assert.rejects(
    fetchPretrained(entry, { cacheDir, fetchImpl: servingFetch(PAYLOAD, { status: 404 }).fetch }),
    isNetworkError(entry.url, path, /HTTP 404 Not Found.*download it yourself from .* and save it as .*sha256 starting with/),
  );
  assert.deepEqual(filesUnder(cacheDir), []);
});

test('a network failure (offline) gives NETWORK_ERROR with the URL and the manual path', async (t) => {
  const cacheDir = tempCache(t);
  const entry = findPretrained('keras:mobilenet_v2_0.35_96');
  const path = join(cacheDir, 'keras', 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5');
  await assert.rejects(
    fetchPretrained(entry, { cacheDir, fetchImpl: failingFetch().fetch }),
    isNetworkError(entry.url, path, /network error \(fetch failed: getaddrinfo ENOTFOUND .*\); are you offline\?/),
  );
  assert.deepEqual(filesUnder(cacheDir), []);
});

test('a connection that breaks mid-stream, or ends short of content-length, leaves no file', async (t) => {
  const cacheDir = tempCache(t);
  const entry = fakeEntry();
  const path = cachedWeightsPath(entry, cacheDir);
  await assert.rejects(
    fetchPretrained(entry, { cacheDir, fetchImpl: servingFetch(PAYLOAD, { failAfter: 40_000 }).fetch }),
    isNetworkError(entry.url, path, /the connection failed after \d+ bytes/),
  );
  await assert.rejects(
    fetchPretrained(entry, { cacheDir, fetchImpl: servingFetch(PAYLOAD, { contentLength: PAYLOAD.length + 10 }).fetch }),
    isNetworkError(entry.url, path, /received 100000 bytes, expected 100010/),
  );
  assert.deepEqual(filesUnder(cacheDir), []);
});

test('a cached file is not downloaded again; a cached file with the wrong hash is replaced', async (t) => {
  const cacheDir = tempCache(t);
  const entry = fakeEntry();
  const path = cachedWeightsPath(entry, cacheDir);
  mkdirSync(join(cacheDir, 'torchvision'), { recursive: true });
  writeFileSync(path, PAYLOAD);
  const offline = failingFetch();
  assert.equal(await fetchPretrained(entry, { cacheDir, fetchImpl: offline.fetch }), path);
  assert.deepEqual(offline.calls, []);

  // No hash known (Keras): the file's presence is enough.
  const keras = findPretrained('keras:mobilenet_v1_0.25_128');
  const kerasPath = cachedWeightsPath(keras, cacheDir);
  mkdirSync(join(cacheDir, 'keras'), { recursive: true });
  writeFileSync(kerasPath, 'placed by hand');
  assert.equal(await fetchPretrained(keras, { cacheDir, fetchImpl: offline.fetch }), kerasPath);
  assert.deepEqual(offline.calls, []);

  // Wrong content under the right name: downloaded again and replaced.
  writeFileSync(path, 'corrupt');
  const serving = servingFetch(PAYLOAD);
  assert.equal(await fetchPretrained(entry, { cacheDir, fetchImpl: serving.fetch }), path);
  assert.equal(serving.calls.length, 1);
  assert.deepEqual(readFileSync(path), Buffer.from(PAYLOAD));
  // ... and when offline, the error says why the cached file was not used.
  writeFileSync(path, 'corrupt');
  await assert.rejects(
    fetchPretrained(entry, { cacheDir, fetchImpl: failingFetch().fetch }),
    isNetworkError(entry.url, path, /the cached file has sha256 [0-9a-f]{64}, expected sha256 starting with/),
  );
  assert.equal(readFileSync(path, 'utf8'), 'corrupt'); // left alone
  // force: true downloads even when the cached file verifies.
  writeFileSync(path, PAYLOAD);
  const forced = servingFetch(PAYLOAD);
  await fetchPretrained(entry, { cacheDir, fetchImpl: forced.fetch, force: true });
  assert.equal(forced.calls.length, 1);
});

test('aborting through a signal removes the temporary file', async (t) => {
  const cacheDir = tempCache(t);
  const entry = fakeEntry();
  const controller = new AbortController();
  const { fetch } = servingFetch(PAYLOAD, {
    chunkSize: 1000,
    onChunk: (i) => {
      if (i === 3) controller.abort();
    },
  });
  await assert.rejects(
    fetchPretrained(entry, { cacheDir, fetchImpl: fetch, signal: controller.signal }),
    isNetworkError(entry.url, cachedWeightsPath(entry, cacheDir), /: aborted;/),
  );
  assert.deepEqual(filesUnder(cacheDir), []);
  await assert.rejects(fetchPretrained(entry, { cacheDir, fetchImpl: fetch, signal: AbortSignal.abort() }), /aborted/);
  assert.deepEqual(filesUnder(cacheDir), []);
});

test('Ctrl-C (SIGINT) during a download removes the temporary file and ends the process', (t) => {
  const cacheDir = tempCache(t);
  const script = `
    import { downloadFile } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'node', 'download.js'))};
    let sent = false;
    const body = new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array(1000));
        if (!sent) { sent = true; setTimeout(() => process.kill(process.pid, 'SIGINT'), 50); }
        return new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    const fetchImpl = async () => new Response(body, { status: 200 });
    await downloadFile({ url: 'https://download.example.invalid/x.bin', path: ${JSON.stringify(join(cacheDir, 'x.bin'))} }, { fetchImpl });
    console.log('download finished?!');
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(result.signal, 'SIGINT', `expected the child to end by SIGINT; status ${result.status}, stderr: ${result.stderr}`);
  assert.doesNotMatch(result.stdout, /finished/);
  assert.deepEqual(filesUnder(cacheDir), []);
});

test('the cache folder: $MOBILENET_CACHE, then $XDG_CACHE_HOME/mobilenet-ts, then ~/.cache/mobilenet-ts', () => {
  assert.equal(defaultCacheDir({ MOBILENET_CACHE: '/data/weights', XDG_CACHE_HOME: '/xdg' }, '/home/u'), '/data/weights');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, '/home/u'), '/xdg/mobilenet-ts');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'relative/ignored' }, '/home/u'), '/home/u/.cache/mobilenet-ts');
  assert.equal(defaultCacheDir({ MOBILENET_CACHE: '' }, '/home/u'), '/home/u/.cache/mobilenet-ts');
  assert.equal(defaultCacheDir({}, '/home/u'), '/home/u/.cache/mobilenet-ts');
  assert.equal(cachedWeightsPath(findPretrained('mobilenet_v2'), '/c'), '/c/torchvision/mobilenet_v2-b0353104.pth');
  assert.throws(() => cachedWeightsPath({ source: 'keras', fileName: '../evil.h5' }, '/c'), /not a plain file name/);
});
