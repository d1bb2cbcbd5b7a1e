// The web catalogue in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// served by `assets serve` (the built CLI, a process of its own) with the built @assets/web:
// (a) navigation start → the first rendered search result row, over BENCH_ASSETS (default
//     100 000) assets, median of BENCH_LOADS (default 5) cold loads (a fresh browser profile
//     each: no HTTP cache); baseline: the same `POST /v1/find` the page sends, from node's fetch;
// (b) navigation start → a rendered lineage graph of BENCH_FAN (default 500) derived versions
//     (a fan: BENCH_FAN versions of one output, each derived_from one dataset version), median
//     of BENCH_LOADS cold loads; "rendered" = the page says "N versions, M edges" and xyflow has
//     laid out its viewport (its transform set) with every node element in the DOM measured and
//     visible. xyflow puts only the nodes in view in the DOM (onlyRenderVisibleElements): their
//     number is printed, and when the minimap (drawn once the graph is on screen) is there;
// (c) the JavaScript the first page loads (index.html's module script and modulepreloads), raw
//     and gzipped, checked against what Chromium fetched in (a); the lazy chunks separately.
// Goals: (a) and (b) under 1 s each; (c) under 300 KB gzipped.
// The catalogue is filled in-process through the SQLite registry (`registry.register`, one
// transaction per version, as `assets put` commits), not by 10⁵ CLI processes.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { blobLocation, defaultAccessControl, sha256 } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { chromium } from 'playwright-core'
import { startServer } from './serve-process.mjs'

const run = promisify(execFile)
const ASSETS = Number(process.env.BENCH_ASSETS ?? 100_000)
const FAN = Number(process.env.BENCH_FAN ?? 500)
const LOADS = Number(process.env.BENCH_LOADS ?? 5)
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const PROFILE = process.env.BENCH_PROFILE
// BENCH_SCREENSHOT: a PNG of the last lineage load (see below).
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const CLI = new URL('../apps/cli/dist/bin.js', import.meta.url).pathname
const WEB_DIST = join(dirname(createRequire(import.meta.url).resolve('@assets/web/package.json')), 'dist')
const ORGANISMS = ['human', 'mouse', 'zebrafish', 'fly', 'yeast']
const T0 = Date.parse('2026-01-01T00:00:00Z')
// What the search page at `/` sends (apps/web/src/search/search-state.ts: newest first, 25 a page).
const SEARCH_QUERY = { sort: { field: 'createdAt', order: 'desc' }, limit: 25 }
const ROOT = { key: 'bench/lineage-root', version: '1.0.0' }
const FAN_KEY = 'bench/lineage-fan'

function record(key, version, i, extra = {}) {
  const digest = sha256(`${key}@${version}`)
  const owner = `user${i % 7}`
  return {
    key,
    version,
    kind: extra.kind ?? (i % 3 === 0 ? 'model' : 'dataset'),
    type: 'file',
    digest,
    size: 1000 + (i % 5000),
    fileCount: 1,
    location: blobLocation(digest),
    metadata: { organism: ORGANISMS[i % 5], n_cells: (i * 7919) % 100_000, assay: i % 2 ? '10x' : 'smart-seq2' },
    relationships: extra.relationships ?? [],
    accessControl: defaultAccessControl({ user: owner }, { read: ['*'] }),
    createdBy: `user:${owner}`,
    createdAt: new Date(T0 + i * 1000).toISOString(),
    description: `bench asset ${i}`,
  }
}

async function fill(home) {
  const registry = createSqliteRegistry({ path: join(home, 'registry.db') })
  const t = performance.now()
  const root = record(ROOT.key, ROOT.version, 0, { kind: 'dataset' })
  await registry.register(root, { actor: root.createdBy })
  for (let v = 0; v < FAN; v++) {
    const r = record(FAN_KEY, `1.0.${v}`, v + 1, { kind: 'output', relationships: [{ relation: 'derived_from', ...ROOT }] })
    await registry.register(r, { actor: r.createdBy })
  }
  // The rest of the catalogue: one version per key, the newest last (so the search page's first rows are these).
  for (let i = FAN + 1; i < ASSETS; i++) {
    const r = record(`bench/${i.toString(36)}`, '1.0.0', i)
    await registry.register(r, { actor: r.createdBy })
  }
  await registry.close()
  return (performance.now() - t) / 1000
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** A fresh profile (cold HTTP cache) whose tabs start signed in: the token in sessionStorage, as after the sign-in page. */
async function coldBrowser(token) {
  const profile = mkdtempSync(join(tmpdir(), 'assets-bench-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, viewport: { width: 1280, height: 900 } })
  await context.addInitScript((t) => sessionStorage.setItem('assets.token', t), token)
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** ms from navigation start (performance.timeOrigin) until `ready()` holds in the page, polled every animation frame. */
async function timeTo(page, url, ready, arg) {
  const problems = []
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('response', (response) => response.status() >= 400 && problems.push(`${response.status()} ${new URL(response.url()).pathname}`))
  await page.goto(url, { waitUntil: 'commit' })
  try {
    return await page.waitForFunction(ready, arg, { polling: 'raf', timeout: 60_000 }).then((h) => h.jsonValue())
  } catch (error) {
    // What the page shows instead, so that a miss says why.
    const shown = await page.evaluate(() => ({
      statuses: [...document.querySelectorAll('[role="status"], [role="alert"]')].map((e) => e.textContent),
      nodes: document.querySelectorAll('.react-flow__node').length,
      hidden: [...document.querySelectorAll('.react-flow__node')].filter((n) => getComputedStyle(n).visibility !== 'visible').length,
      transform: document.querySelector('.react-flow__viewport')?.style.transform,
    }))
    throw new Error(`${url}: not ready in 60 s; the page shows ${JSON.stringify(shown)}; errors: ${problems.join('; ') || 'none'} (a 404 of /assets/…: @assets/web was rebuilt during the run)`, { cause: error })
  }
}

function firstRow() {
  return document.querySelector('[data-testid="search-result-row"]') ? performance.now() : false
}

function graphRendered(expected) {
  const status = [...document.querySelectorAll('[role="status"]')].some((e) => e.textContent?.startsWith(expected))
  const viewport = document.querySelector('.react-flow__viewport')
  const nodes = document.querySelectorAll('.react-flow__node')
  if (!status || !viewport || nodes.length === 0) return false
  // xyflow keeps a node hidden until it has measured it, and fitView sets the viewport's transform once all are.
  if (viewport.style.transform === '' || viewport.style.transform === 'translate(0px, 0px) scale(1)') return false
  for (const n of nodes) if (getComputedStyle(n).visibility !== 'visible') return false
  return { ms: performance.now(), nodes: nodes.length }
}

/** Where the time went, from the page's own Resource Timing: when each request started and ended. */
function breakdown() {
  const nav = performance.getEntriesByType('navigation')[0]
  const out = { html: nav ? nav.responseEnd : Number.NaN }
  for (const e of performance.getEntriesByType('resource')) {
    const path = new URL(e.name).pathname
    const name = path.endsWith('.js') ? 'js' : path.startsWith('/v1/') ? path.split('/').slice(0, 3).join('/') : undefined
    if (name && !(name in out)) out[name] = `${e.startTime.toFixed(0)}–${e.responseEnd.toFixed(0)}`
  }
  return out
}

function firstPageScripts() {
  const html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8')
  const refs = [...html.matchAll(/<script[^>]*\bsrc="([^"]+\.js)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g)].map((m) => m[1])
  const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+\.css)"/g)].map((m) => m[1])
  const size = (ref) => {
    const bytes = readFileSync(join(WEB_DIST, ref.replace(/^\//, '')))
    return { ref, raw: bytes.length, gz: gzipSync(bytes).length }
  }
  const first = refs.map(size)
  const all = readdirSync(join(WEB_DIST, 'assets')).filter((f) => f.endsWith('.js'))
  const lazy = all.map((f) => `/assets/${f}`).filter((ref) => !refs.includes(ref)).map(size)
  return { first, lazy, css: css.map(size) }
}

async function main() {
  readFileSync(join(WEB_DIST, 'index.html'))
  const home = mkdtempSync(join(tmpdir(), 'assets-bench-web-'))
  const env = { ...process.env, ASSETS_HOME: home }
  delete env.ASSETS_URL
  delete env.ASSETS_TOKEN
  let server
  try {
    const loadSeconds = await fill(home)
    const adminConfig = join(home, 'admin.yaml')
    writeFileSync(adminConfig, 'identity:\n  user: admin\n  roles: [admin]\n')
    const { stdout } = await run(process.execPath, [CLI, 'token', 'create', '--user', 'reader', '--json'], { env: { ...env, CONFIG_PATH: adminConfig } })
    const token = JSON.parse(stdout).token
    server = await startServer(env)
    console.log(
      `machine: ${(await run('nproc')).stdout.trim()} cores, node ${process.version}, ${(await run(CHROMIUM, ['--version'])).stdout.trim()}; load average at the start ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
    )
    console.log(`catalogue: ${ASSETS - FAN} assets + 1 dataset with ${FAN} derived versions of one output (${ASSETS} versions), registered in-process through the SQLite registry in ${loadSeconds.toFixed(1)} s`)

    // Baseline of (a): the page's own request, from node (after one warm-up, like the page's server is warm).
    const find = async () => {
      const t = performance.now()
      const r = await fetch(`${server.url}/v1/find`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: SEARCH_QUERY }) })
      const body = await r.json()
      if (r.status !== 200 || body.items.length !== SEARCH_QUERY.limit) throw new Error(`POST /v1/find answered ${r.status}`)
      return performance.now() - t
    }
    await find()
    const findTimes = []
    for (let i = 0; i < LOADS; i++) findTimes.push(await find())

    const searchTimes = []
    const searchMarks = []
    const fetchedJs = new Map()
    for (let i = 0; i < LOADS; i++) {
      const b = await coldBrowser(token)
      try {
        const page = await b.context.newPage()
        page.on('response', async (response) => {
          if (response.url().endsWith('.js')) fetchedJs.set(new URL(response.url()).pathname, (await response.body().catch(() => Buffer.alloc(0))).length)
        })
        searchTimes.push(await timeTo(page, `${server.url}/`, firstRow))
        searchMarks.push(await page.evaluate(breakdown))
      } finally {
        await b.close()
      }
    }

    const expected = `${FAN + 1} versions, ${FAN} edges`
    const lineageUrl = `${server.url}/lineage/${ROOT.key}?v=${ROOT.version}&depth=1&direction=down`
    const lineageTimes = []
    const lineageMarks = []
    const overviewTimes = []
    let domNodes = 0
    for (let i = 0; i < LOADS; i++) {
      const b = await coldBrowser(token)
      try {
        const page = await b.context.newPage()
        // BENCH_PROFILE=<file>: a CPU profile of the first lineage load (Chrome DevTools' .cpuprofile format).
        const cdp = PROFILE && i === 0 ? await b.context.newCDPSession(page) : undefined
        if (cdp) {
          await cdp.send('Profiler.enable')
          await cdp.send('Profiler.setSamplingInterval', { interval: 250 })
          await cdp.send('Profiler.start')
        }
        const { ms, nodes } = await timeTo(page, lineageUrl, graphRendered, expected)
        if (cdp) writeFileSync(PROFILE, JSON.stringify((await cdp.send('Profiler.stop')).profile))
        // The minimap is drawn once the graph is on screen (apps/web's OverviewAfterGraph): when it is there.
        overviewTimes.push(await page.waitForFunction(() => (document.querySelectorAll('.react-flow__minimap .react-flow__minimap-node').length > 0 ? performance.now() : false), null, { polling: 'raf', timeout: 60_000 }).then((h) => h.jsonValue()))
        lineageTimes.push(ms)
        lineageMarks.push(await page.evaluate(breakdown))
        // BENCH_SCREENSHOT=<file.png>: what the last lineage load shows, to look at.
        if (process.env.BENCH_SCREENSHOT && i === LOADS - 1) await page.screenshot({ path: process.env.BENCH_SCREENSHOT })
        domNodes = nodes
      } finally {
        await b.close()
      }
    }

    const js = firstPageScripts()
    const firstRaw = js.first.reduce((s, f) => s + f.raw, 0)
    const firstGz = js.first.reduce((s, f) => s + f.gz, 0)
    const unexpected = [...fetchedJs.keys()].filter((p) => !js.first.some((f) => f.ref === p))
    const kb = (n) => `${(n / 1000).toFixed(1)} KB`
    const ms = (n) => `${n.toFixed(0)} ms`
    const verdict = (ok) => (ok ? 'met' : 'MISSED')
    console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
    console.log('')
    console.log('| measure | figure | baseline (same run) | goal |')
    console.log('| --- | --- | --- | --- |')
    console.log(
      `| (a) navigation start → first search result row, ${ASSETS} assets | median ${ms(median(searchTimes))} (${searchTimes.map(ms).join(', ')}) | \`POST /v1/find\` from node: median ${ms(median(findTimes))} (${findTimes.map(ms).join(', ')}) | < 1 s: ${verdict(median(searchTimes) < 1000)} |`,
    )
    console.log(`| (b) navigation start → lineage graph of ${FAN + 1} nodes, ${FAN} edges laid out | median ${ms(median(lineageTimes))} (${lineageTimes.map(ms).join(', ')}); ${domNodes} node elements in the DOM; the minimap follows at ${ms(median(overviewTimes))} (${overviewTimes.map(ms).join(', ')}) | — | < 1 s: ${verdict(median(lineageTimes) < 1000)} |`)
    console.log(`| (c) JavaScript of the first page (${js.first.map((f) => f.ref).join(', ')}) | ${kb(firstRaw)} raw, **${kb(firstGz)} gzipped** | — | < 300 KB gz: ${verdict(firstGz < 300_000)} |`)
    for (const f of js.lazy) console.log(`| lazy chunk ${f.ref} (not on the first page) | ${kb(f.raw)} raw, ${kb(f.gz)} gzipped | — | — |`)
    for (const f of js.css) console.log(`| stylesheet ${f.ref} (first page, not JavaScript) | ${kb(f.raw)} raw, ${kb(f.gz)} gzipped | — | — |`)
    console.log('')
    console.log('Where the time went (ms from navigation start: the document received; each request start–end):')
    for (const [i, m] of searchMarks.entries()) console.log(`  search load ${i + 1}: ${JSON.stringify(m)} → first row ${ms(searchTimes[i])}`)
    for (const [i, m] of lineageMarks.entries()) console.log(`  lineage load ${i + 1}: ${JSON.stringify(m)} → laid out ${ms(lineageTimes[i])}`)
    console.log(`JavaScript Chromium fetched on the search page: ${[...fetchedJs.keys()].join(', ')}${unexpected.length ? ` (not in index.html: ${unexpected.join(', ')})` : ' (all in index.html)'}`)
  } finally {
    if (server) {
      await new Promise((resolve) => {
        if (server.proc.exitCode !== null) return resolve()
        server.proc.once('exit', resolve)
        server.proc.kill('SIGTERM')
      })
    }
    rmSync(home, { recursive: true, force: true })
  }
}

await main()
