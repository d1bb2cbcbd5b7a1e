export interface DotenvProblem {
  line: number
  message: string
}

export interface DotenvResult {
  values: Record<string, string>
  problems: DotenvProblem[]
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/

/**
 * Parses `.env` text: `KEY=VALUE`, optional `export ` prefix, `#` comments, single, double and
 * backtick quotes (double quotes understand \n \r \t \" \\ and may span lines, for PEM keys).
 * No `${VAR}` interpolation and no command substitution: the file is data, never code.
 * An unquoted value ends at a `#` preceded by whitespace, so `pa#ss` keeps its `#`.
 * Problems never quote the line, which may hold a secret; they give its number.
 */
export function parseDotenv(text: string): DotenvResult {
  const values: Record<string, string> = {}
  const problems: DotenvProblem[] = []
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  let pos = 0
  let line = 1

  while (pos < src.length) {
    const end = lineEnd(src, pos)
    const startLine = line
    const raw = src.slice(pos, end)
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) {
      pos = end + 1
      line++
      continue
    }
    const statement = trimmed.replace(/^export\s+/, '')
    const eq = statement.indexOf('=')
    const key = eq === -1 ? '' : statement.slice(0, eq).trim()
    if (eq === -1 || !KEY.test(key)) {
      problems.push({ line: startLine, message: 'expected KEY=VALUE' })
      pos = end + 1
      line++
      continue
    }
    // An offset into `src`, not into this line: a quoted value may run past the line's end.
    const valueStart = pos + raw.indexOf('=') + 1
    const parsed = readValue(src, valueStart)
    if ('error' in parsed) {
      problems.push({ line: startLine, message: parsed.error })
    } else {
      values[key] = parsed.value
    }
    const next = 'error' in parsed ? lineEnd(src, valueStart) : parsed.next
    line += countNewlines(src, pos, next)
    pos = next + 1
    line++
  }
  return { values, problems }
}

type ReadResult = { value: string; next: number } | { error: string }

function readValue(src: string, start: number): ReadResult {
  let i = start
  while (src[i] === ' ' || src[i] === '\t') i++
  const quote = src[i]
  if (quote !== '"' && quote !== "'" && quote !== '`') {
    const end = lineEnd(src, i)
    const comment = src.slice(i, end).search(/(^|\s)#/)
    const value = comment === -1 ? src.slice(i, end) : src.slice(i, i + comment)
    return { value: value.trim(), next: end }
  }
  let value = ''
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j]
    if (c === quote) {
      const end = lineEnd(src, j + 1)
      const rest = src.slice(j + 1, end).trim()
      if (rest !== '' && !rest.startsWith('#')) return { error: 'unexpected text after the closing quote' }
      return { value, next: end }
    }
    if (c === '\\' && quote === '"' && j + 1 < src.length) {
      const n = src[++j]
      value += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n
      continue
    }
    value += c
  }
  return { error: `unterminated ${quote} quote` }
}

function lineEnd(src: string, from: number): number {
  const nl = src.indexOf('\n', from)
  return nl === -1 ? src.length : nl
}

function countNewlines(src: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) if (src[i] === '\n') n++
  return n
}
