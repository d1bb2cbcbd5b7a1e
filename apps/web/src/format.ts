const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** 1536 → "1.5 KiB": binary units, as `assets ls` prints them. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A readable local date-time for an ISO instant (the ISO text stays in the <time> element). */
export function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date)
}

/** `sha256:3f2a…` shortened for tables; the whole digest goes in a title. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) : ['', digest]
  return `${algorithm ? `${algorithm}:` : ''}${(hex ?? '').slice(0, 12)}…`
}

export function formatCount(n: unknown): string {
  return typeof n === 'number' ? n.toLocaleString('en') : '—'
}

/** The app's path of a version's page. */
export function assetPath(key: string, version?: string): string {
  return `/a/${key}${version ? `?v=${encodeURIComponent(version)}` : ''}`
}

export function lineagePath(key: string, version?: string): string {
  const params = new URLSearchParams({ ...(version ? { v: version } : {}), depth: '2', direction: 'both' })
  return `/lineage/${key}?${params}`
}
