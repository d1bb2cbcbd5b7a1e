// Downloading one LFS file through @assets/storage-huggingface (resolve, redirect to the CDN,
// sha256 while writing, check against X-Linked-ETag, fsync) against a plain fetch of the same
// CDN URL streamed to a file (the baseline), in the same run, from a minimal hub on 127.0.0.1.
// Run with `node bench/hf-download.mjs` after building the plugin; BENCH_HF_MB (default 256), BENCH_RUNS (default 3).
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createHuggingFaceStorage } from '@assets/storage-huggingface'

const MB = Number(process.env.BENCH_HF_MB ?? 256)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const root = mkdtempSync(join(tmpdir(), 'assets-bench-hf-'))
const source = join(root, 'object.bin')
const hash = createHash('sha256')
const chunk = 8 << 20
for (let written = 0; written < MB << 20; written += chunk) {
  const part = randomBytes(Math.min(chunk, (MB << 20) - written))
  hash.update(part)
  writeFileSync(source, part, { flag: written === 0 ? 'w' : 'a' })
}
const oid = hash.digest('hex')
const size = statSync(source).size

// The hub's file endpoint redirects LFS files to the CDN, which honours Range.
const server = createServer((req, res) => {
  if (req.url.startsWith('/acme/bench/resolve/main/')) {
    res.writeHead(302, { Location: '/cdn/object', 'X-Linked-ETag': `"${oid}"`, 'X-Linked-Size': size, 'X-Repo-Commit': 'f'.repeat(40) })
    return res.end()
  }
  if (req.url === '/cdn/object') {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    const start = m ? Number(m[1]) : 0
    res.writeHead(m ? 206 : 200, {
      'Content-Length': size - start,
      'Accept-Ranges': 'bytes',
      ...(m ? { 'Content-Range': `bytes ${start}-${size - 1}/${size}` } : {}),
    })
    return createReadStream(source, { start, highWaterMark: 1 << 20 }).pipe(res)
  }
  res.writeHead(404).end()
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const endpoint = `http://127.0.0.1:${server.address().port}`
const storage = createHuggingFaceStorage({ repo: 'acme/bench', endpoint }, { allowInsecureStorage: true })

async function time(label, run) {
  const seconds = []
  // One untimed run first, so neither side pays for warming up the server, JIT and page cache.
  for (let i = -1; i < RUNS; i++) {
    const destination = join(root, `${label}-${i}.bin`)
    const t = performance.now()
    await run(destination)
    if (i >= 0) seconds.push((performance.now() - t) / 1000)
    if (statSync(destination).size !== size) throw new Error(`${label}: wrong size`)
    rmSync(destination)
  }
  return Math.min(...seconds)
}

try {
  const baseline = await time('fetch', async (destination) => {
    const response = await fetch(`${endpoint}/cdn/object`)
    await pipeline(Readable.fromWeb(response.body), createWriteStream(destination))
  })
  const plugin = await time('plugin', (destination) => storage.download('weights.bin', destination))
  const mbps = (s) => (size / (1 << 20) / s).toFixed(0)
  console.log(`object: ${MB} MiB, best of ${RUNS}`)
  console.log(`plain fetch to file:        ${baseline.toFixed(2)} s (${mbps(baseline)} MiB/s)`)
  console.log(`HuggingFaceStorage.download: ${plugin.toFixed(2)} s (${mbps(plugin)} MiB/s)`)
  console.log(`ratio (plugin / fetch): ${(plugin / baseline).toFixed(2)}`)
} finally {
  server.close()
  rmSync(root, { recursive: true, force: true })
}
