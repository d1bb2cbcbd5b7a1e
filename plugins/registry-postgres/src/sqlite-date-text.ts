import { sqliteFixed } from './sqlite-printf.js'

/** What sqliteDateText returns for `now`, `subsec` and `subsecond`: the time the query runs. */
export const NOW = 'now'

/**
 * The SQLite registry compares date strings as `strftime('%Y-%m-%dT%H:%M:%fZ', text)`, so a
 * range query over metadata strings matches whatever SQLite's date parser accepts (and as the
 * instant it makes of it): `2024-01-15`, `2024-01-15 10:00 +02:00`, a bare `10:30`, a Julian
 * day number such as `"2460000.5"`, `now`. This is a port of that parser and of those format
 * fields (sqlite3/src/date.c, 3.53), so both registries give the same answers for the same
 * data. Returns the formatted text, `NOW` for the forms that mean "the current time" (resolved
 * when a query runs, as SQLite does), or null when SQLite would return NULL.
 */
export function sqliteDateText(text: string): string | null {
  const p = emptyDateTime()
  // SQLite's parser reads a C string: it stops at the first NUL.
  const parsed = parseDateOrTime(text.split('\0')[0] ?? '', p)
  if (parsed === 'error') return null
  if (parsed === 'now') return NOW
  computeJD(p)
  if (p.isError || !validJulianDay(p.iJD)) return null
  // isDate() with no modifiers re-derives a day-of-month overflow (2023-02-31) from the JD.
  if (p.validYMD && p.D > 28) p.validYMD = false
  computeYMD(p)
  computeHMS(p)
  return `${year(p.Y)}-${two(p.M)}-${two(p.D)}T${two(p.h)}:${two(p.m)}:${seconds(p.s)}Z`
}

interface DateTime {
  /** Julian day number times 86 400 000. */
  iJD: number
  Y: number
  M: number
  D: number
  h: number
  m: number
  /** Time zone offset in minutes. */
  tz: number
  s: number
  validJD: boolean
  validYMD: boolean
  validHMS: boolean
  rawS: boolean
  isError: boolean
}

function emptyDateTime(): DateTime {
  return { iJD: 0, Y: 0, M: 0, D: 0, h: 0, m: 0, tz: 0, s: 0, validJD: false, validYMD: false, validHMS: false, rawS: false, isError: false }
}

// The largest iJD SQLite accepts: 9999-12-31 23:59:59.999.
const MAX_IJD = 464269060799999

// C reads past the end of a string as its NUL terminator.
const at = (z: string, i: number): string => z[i] ?? '\0'
const isDigit = (c: string): boolean => c >= '0' && c <= '9'
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r'

/** getDigits(): fixed-width numbers, each in a range and followed by a separator ('\0': none checked). */
function getDigits(z: string, start: number, specs: Array<[width: number, min: number, max: number, separator: string]>): number[] {
  const values: number[] = []
  let i = start
  for (const [width, min, max, separator] of specs) {
    let value = 0
    for (let n = 0; n < width; n++, i++) {
      const c = at(z, i)
      if (!isDigit(c)) return values
      value = value * 10 + (c.charCodeAt(0) - 48)
    }
    if (value < min || value > max || (separator !== '\0' && separator !== at(z, i))) return values
    values.push(value)
    i++
  }
  return values
}

/** parseTimezone(): `[+-]HH:MM` or `Z`, then only spaces. True on a parse error. */
function parseTimezone(z: string, start: number, p: DateTime): boolean {
  let i = start
  while (isSpace(at(z, i))) i++
  p.tz = 0
  const c = at(z, i)
  if (c === 'Z' || c === 'z') {
    i++
  } else if (c === '-' || c === '+') {
    const [hours, minutes] = getDigits(z, i + 1, [
      [2, 0, 14, ':'],
      [2, 0, 59, '\0'],
    ])
    if (hours === undefined || minutes === undefined) return true
    i += 6
    p.tz = (c === '-' ? -1 : 1) * (minutes + hours * 60)
  } else {
    return c !== '\0'
  }
  while (isSpace(at(z, i))) i++
  return at(z, i) !== '\0'
}

/** parseHhMmSs(): `HH:MM`, `HH:MM:SS` or `HH:MM:SS.FFFF`, then a time zone. True on a parse error. */
function parseHhMmSs(z: string, start: number, p: DateTime): boolean {
  const [h, m] = getDigits(z, start, [
    [2, 0, 24, ':'],
    [2, 0, 59, '\0'],
  ])
  if (h === undefined || m === undefined) return true
  let i = start + 5
  let s = 0
  let ms = 0
  if (at(z, i) === ':') {
    const [whole] = getDigits(z, i + 1, [[2, 0, 59, '\0']])
    if (whole === undefined) return true
    s = whole
    i += 3
    if (at(z, i) === '.' && isDigit(at(z, i + 1))) {
      let scale = 1
      i++
      while (isDigit(at(z, i))) {
        ms = ms * 10 + (z.charCodeAt(i) - 48)
        scale *= 10
        i++
      }
      ms /= scale
      // SQLite truncates here to avoid sub-millisecond rounding up to the next second.
      if (ms > 0.999) ms = 0.999
    }
  }
  p.validJD = false
  p.rawS = false
  p.validHMS = true
  p.h = h
  p.m = m
  p.s = s + ms
  return parseTimezone(z, i, p)
}

/** parseYyyyMmDd(): `[-]YYYY-MM-DD`, then spaces or `T`s, then an optional time. True on a parse error. */
function parseYyyyMmDd(z: string, p: DateTime): boolean {
  const negative = at(z, 0) === '-'
  const start = negative ? 1 : 0
  const [Y, M, D] = getDigits(z, start, [
    [4, 0, 14712, '-'],
    [2, 1, 12, '-'],
    [2, 1, 31, '\0'],
  ])
  if (Y === undefined || M === undefined || D === undefined) return true
  let i = start + 10
  while (isSpace(at(z, i)) || at(z, i) === 'T') i++
  if (!parseHhMmSs(z, i, p)) {
    // a time was given
  } else if (at(z, i) === '\0') {
    p.validHMS = false
  } else {
    return true
  }
  p.validJD = false
  p.validYMD = true
  p.Y = negative ? -Y : Y
  p.M = M
  p.D = D
  if (p.tz !== 0) computeJD(p)
  return false
}

function parseDateOrTime(z: string, p: DateTime): 'ok' | 'now' | 'error' {
  if (!parseYyyyMmDd(z, p)) return 'ok'
  if (!parseHhMmSs(z, 0, p)) return 'ok'
  const lower = z.replace(/[A-Z]/g, (c) => c.toLowerCase())
  if (lower === 'now') return 'now'
  const r = sqliteAtoF(z)
  if (r !== null) {
    setRawDateNumber(p, r)
    return 'ok'
  }
  if (lower === 'subsec' || lower === 'subsecond') return 'now'
  return 'error'
}

/** setRawDateNumber(): a number within the Julian-day range is one; anything else is an error later. */
function setRawDateNumber(p: DateTime, r: number): void {
  p.s = r
  p.rawS = true
  if (r >= 0 && r < 5373484.5) {
    p.iJD = Math.trunc(r * 86400000 + 0.5)
    p.validJD = true
  }
}

// (2^64 - 1 - 9) / 10: past this the mantissa stops taking digits.
const MANTISSA_LIMIT = 1844674407370955160n

/**
 * sqlite3AtoF(): the whole text (spaces around it allowed) is `[+-]digits[.digits][e[+-]digits]`
 * or `[+-].digits…`; null otherwise. Only the first ~19 significant digits count, as in SQLite;
 * the decimal they spell is then rounded to the nearest double, as SQLite's converter does.
 */
export function sqliteAtoF(z: string): number | null {
  let i = 0
  while (isSpace(at(z, i))) i++
  let negative = false
  if (at(z, i) === '-' || at(z, i) === '+') {
    negative = at(z, i) === '-'
    i++
  }
  let mantissa = 0n
  let exponent = 0
  let digits = false
  let full = false
  while (isDigit(at(z, i))) {
    digits = true
    if (full) exponent++
    else {
      mantissa = mantissa * 10n + BigInt(z.charCodeAt(i) - 48)
      if (mantissa >= MANTISSA_LIMIT) full = true
    }
    i++
  }
  if (at(z, i) === '.') {
    i++
    if (isDigit(at(z, i))) {
      digits = true
      while (isDigit(at(z, i))) {
        if (mantissa < MANTISSA_LIMIT) {
          mantissa = mantissa * 10n + BigInt(z.charCodeAt(i) - 48)
          exponent--
        }
        i++
      }
    } else if (!digits) return null
  } else if (!digits) return null
  if (at(z, i) === 'e' || at(z, i) === 'E') {
    let j = i + 1
    let sign = 1
    if (at(z, j) === '-') {
      sign = -1
      j++
    } else if (at(z, j) === '+') j++
    if (isDigit(at(z, j))) {
      let e = 0
      while (isDigit(at(z, j))) {
        e = e < 10000 ? e * 10 + (z.charCodeAt(j) - 48) : 10000
        j++
      }
      exponent += sign * e
      i = j
    }
  }
  while (isSpace(at(z, i))) i++
  if (at(z, i) !== '\0') return null
  const value = mantissa === 0n ? 0 : Number(`${mantissa}e${exponent}`)
  return negative ? -value : value
}

function computeJD(p: DateTime): void {
  if (p.validJD) return
  let Y = p.validYMD ? p.Y : 2000
  let M = p.validYMD ? p.M : 1
  const D = p.validYMD ? p.D : 1
  if (Y < -4713 || Y > 9999 || p.rawS) {
    datetimeError(p)
    return
  }
  if (M <= 2) {
    Y--
    M += 12
  }
  const A = Math.trunc((Y + 4800) / 100)
  const B = 38 - A + Math.trunc(A / 4)
  const X1 = Math.trunc((36525 * (Y + 4716)) / 100)
  const X2 = Math.trunc((306001 * (M + 1)) / 10000)
  p.iJD = Math.trunc((X1 + X2 + D + B - 1524.5) * 86400000)
  p.validJD = true
  if (p.validHMS) {
    p.iJD += p.h * 3600000 + p.m * 60000 + Math.trunc(p.s * 1000 + 0.5)
    if (p.tz !== 0) {
      p.iJD -= p.tz * 60000
      p.validYMD = false
      p.validHMS = false
      p.tz = 0
    }
  }
}

function datetimeError(p: DateTime): void {
  Object.assign(p, emptyDateTime(), { isError: true })
}

function validJulianDay(iJD: number): boolean {
  return iJD >= 0 && iJD <= MAX_IJD
}

function computeYMD(p: DateTime): void {
  if (p.validYMD) return
  if (!p.validJD) {
    p.Y = 2000
    p.M = 1
    p.D = 1
  } else if (!validJulianDay(p.iJD)) {
    datetimeError(p)
    return
  } else {
    const Z = Math.trunc((p.iJD + 43200000) / 86400000)
    const alpha = Math.trunc((Z + 32044.75) / 36524.25) - 52
    const A = Z + 1 + alpha - Math.trunc((alpha + 100) / 4) + 25
    const B = A + 1524
    const C = Math.trunc((B - 122.1) / 365.25)
    const D = Math.trunc((36525 * (C & 32767)) / 100)
    const E = Math.trunc((B - D) / 30.6001)
    const X1 = Math.trunc(30.6001 * E)
    p.D = B - D - X1
    p.M = E < 14 ? E - 1 : E - 13
    p.Y = p.M > 2 ? C - 4716 : C - 4715
  }
  p.validYMD = true
}

function computeHMS(p: DateTime): void {
  if (p.validHMS) return
  computeJD(p)
  const dayMs = (p.iJD + 43200000) % 86400000
  p.s = (dayMs % 60000) / 1000
  const dayMin = Math.trunc(dayMs / 60000)
  p.m = dayMin % 60
  p.h = Math.trunc(dayMin / 60)
  p.rawS = false
  p.validHMS = true
}

// printf("%04d"): the sign counts towards the width.
function year(Y: number): string {
  return Y < 0 ? `-${String(-Y).padStart(3, '0')}` : String(Y).padStart(4, '0')
}

function two(n: number): string {
  return String(n).padStart(2, '0')
}

// printf("%06.3f"), with SQLite's own rounding.
function seconds(s: number): string {
  return sqliteFixed(s, 3).padStart(6, '0')
}
