import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { InvalidInputError, isPinDigest } from '@assets/core'
import { stringOption } from '../args.js'
import { parseRef } from '../asset-ref.js'
import { type CommandContext, progressFor } from '../context.js'
import { withManager } from '../open-manager.js'
import { refOf } from '../record-view.js'

export async function get(ctx: CommandContext): Promise<number> {
  const { key, ref = 'latest' } = parseRef(ctx.positionals[0]!)
  const out = stringOption(ctx.values, 'out')
  if (out === '-') return getToStdout(ctx, key, ref)
  const result = await withManager(ctx.globals, async (manager) => {
    // Resolved once, so that the path printed is the version reported even if a put lands meanwhile.
    const info = await manager.getMetadata(key, ref)
    const progress = progressFor(ctx, `get ${refOf(info)}`)
    try {
      const path = await manager.get(key, info.version, {
        // A trailing / means "into this folder": resolve() would drop it.
        out: out === undefined ? undefined : resolve(out) + (out.endsWith('/') || out.endsWith(sep) ? sep : ''),
        signal: ctx.interrupt.signal(),
        onProgress: (p) => progress.update({ bytes: p.bytes, total: p.total ?? info.size }),
      })
      // A reference read for the first time has just recorded its content digest: report that, not its pin.
      const digest = isPinDigest(info.digest) ? (await manager.getMetadata(key, info.version)).digest : info.digest
      return { key, version: info.version, kind: info.kind, type: info.type, digest, size: info.size, path }
    } finally {
      progress.finish()
    }
  })
  ctx.out.result(result, () => result.path)
  return 0
}

/**
 * `--out -`: the content of a file asset on stdout, and nothing else there. Fetched (and so
 * verified) first, unlike `cat`, so a corrupt object prints no byte.
 */
async function getToStdout(ctx: CommandContext, key: string, ref: string): Promise<number> {
  const stdout = ctx.out.streams.stdout
  await withManager(ctx.globals, async (manager) => {
    const info = await manager.getMetadata(key, ref)
    if (info.type === 'folder') {
      throw new InvalidInputError(`${refOf(info)} is a folder: --out - writes a file asset; give a path, or cat one of its files with --path`)
    }
    const progress = progressFor(ctx, `get ${refOf(info)}`)
    const signal = ctx.interrupt.signal()
    let path: string
    try {
      path = await manager.get(key, info.version, { signal, onProgress: (p) => progress.update({ bytes: p.bytes, total: p.total ?? info.size }) })
    } finally {
      progress.finish()
    }
    try {
      for await (const chunk of createReadStream(path, { signal })) {
        if (!stdout.write(chunk)) await once(stdout, 'drain', { signal })
      }
    } finally {
      // Without a cache the copy is in a folder of its own that is ours to remove.
      if (manager.cache === null) await rm(dirname(path), { recursive: true, force: true })
    }
  })
  return 0
}
