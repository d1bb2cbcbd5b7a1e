import type { AssetKind, AssetQuery, SortField } from '@assets/core'
import { flagOption, integerOption, listOption, stringOption, UsageError } from '../args.js'
import { ASSET_KIND_NAMES } from '../command-specs.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { recordTable } from '../record-view.js'
import { parseWhere } from '../where-parser.js'

function kinds(ctx: CommandContext): AssetKind[] | undefined {
  const given = listOption(ctx.values, 'kind')
  for (const k of given) {
    if (!ASSET_KIND_NAMES.includes(k)) throw new UsageError(`--kind must be one of ${ASSET_KIND_NAMES.join(', ')}, got ${JSON.stringify(k)}`)
  }
  return given.length === 0 ? undefined : (given as AssetKind[])
}

function parseSort(text: string | undefined): AssetQuery['sort'] {
  if (text === undefined) return undefined
  const colon = text.lastIndexOf(':')
  const field = (colon === -1 ? text : text.slice(0, colon)).trim()
  const order = colon === -1 ? 'asc' : text.slice(colon + 1).trim().toLowerCase()
  if (field === '' || (order !== 'asc' && order !== 'desc')) {
    throw new UsageError(`--sort ${JSON.stringify(text)}: expected field, field:asc or field:desc`)
  }
  return { field: field as SortField, order }
}

async function search(ctx: CommandContext, query: AssetQuery): Promise<number> {
  const page = await withManager(ctx.globals, (manager) => manager.findAssets(query))
  ctx.out.result({ items: page.items, nextCursor: page.nextCursor ?? null }, () => (page.items.length === 0 ? '' : recordTable(page.items)))
  if (page.items.length === 0) ctx.out.note('no assets found')
  if (page.nextCursor) ctx.out.note(`more results: add --cursor ${page.nextCursor}`)
  return 0
}

export async function find(ctx: CommandContext): Promise<number> {
  const v = ctx.values
  const query: AssetQuery = {
    where: parseWhere(listOption(v, 'where')),
    kind: kinds(ctx),
    tag: stringOption(v, 'tag'),
    text: stringOption(v, 'text'),
    keyPrefix: stringOption(v, 'prefix'),
    limit: integerOption(v, 'limit', 1, 1000),
    sort: parseSort(stringOption(v, 'sort')),
    cursor: stringOption(v, 'cursor'),
    allVersions: flagOption(v, 'all-versions'),
  }
  return search(ctx, query)
}

export async function ls(ctx: CommandContext): Promise<number> {
  const v = ctx.values
  return search(ctx, {
    keyPrefix: ctx.positionals[0],
    kind: kinds(ctx),
    limit: integerOption(v, 'limit', 1, 1000),
    cursor: stringOption(v, 'cursor'),
    sort: { field: 'key', order: 'asc' },
  })
}
