import { once } from 'node:events'
import { InvalidInputError } from '@assets/core'
import { stringOption, UsageError } from '../args.js'
import { parseRef } from '../asset-ref.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { refOf } from '../record-view.js'

/** `a-b` (both included, as in HTTP), `a-` (to the end) or `-n` (the last n bytes). */
type ByteRange = { start: number; last?: number } | { suffix: number }

function parseRange(text: string): ByteRange {
  const m = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(text)
  const [, a = '', b = ''] = m ?? []
  if (!m || (a === '' && b === '')) throw new UsageError(`--range ${JSON.stringify(text)}: expected a-b, a- or -n (byte offsets)`)
  if (a === '') return { suffix: Number(b) }
  const start = Number(a)
  if (b === '') return { start }
  const last = Number(b)
  if (last < start) throw new UsageError(`--range ${text}: the last byte comes before the first`)
  return { start, last }
}

/** Streams a version to stdout at the pace the reader takes it. */
export async function cat(ctx: CommandContext): Promise<number> {
  const { key, ref = 'latest' } = parseRef(ctx.positionals[0]!)
  const rangeText = stringOption(ctx.values, 'range')
  const range = rangeText === undefined ? undefined : parseRange(rangeText)
  const path = stringOption(ctx.values, 'path')
  const stdout = ctx.out.streams.stdout
  await withManager(ctx.globals, async (manager) => {
    const info = await manager.getMetadata(key, ref)
    // The size is known for a file; a file inside a folder is checked by the manager instead.
    const size = info.type === 'file' ? info.size : undefined
    let start: number | undefined
    let end: number | undefined
    if (range && 'suffix' in range) {
      if (size === undefined) throw new UsageError('--range -n needs a file asset; give a-b for a file inside a folder')
      start = Math.max(size - range.suffix, 0)
    } else if (range) {
      start = range.start
      // Like HTTP, a last byte past the end means "to the end".
      end = range.last === undefined ? undefined : size === undefined ? range.last + 1 : Math.min(range.last + 1, size)
      if (size !== undefined && start >= size && size > 0) {
        throw new InvalidInputError(`--range ${rangeText}: ${refOf(info)} has ${size} bytes (offsets 0-${size - 1})`)
      }
    }
    const signal = ctx.interrupt.signal()
    const chunks = await manager.stream(key, info.version, { start, end, path, signal })
    for await (const chunk of chunks) {
      if (!stdout.write(chunk)) await once(stdout, 'drain', { signal })
    }
  })
  return 0
}
