// Schema documents may name a family instead of an exact dtype: `integer` covers int8…uint64.
const FAMILIES: Record<string, (dtype: string) => boolean> = {
  integer: (d) => /^u?int(8|16|32|64)$/.test(d),
  signed: (d) => /^int(8|16|32|64)$/.test(d),
  unsigned: (d) => /^uint(8|16|32|64)$/.test(d),
  float: (d) => /^float(16|32|64)$/.test(d),
  numeric: (d) => /^(u?int(8|16|32|64)|float(16|32|64))$/.test(d),
  string: (d) => d === 'string',
  bool: (d) => d === 'bool',
  boolean: (d) => d === 'bool',
}

const ALIASES: Record<string, string> = { double: 'float64', single: 'float32', str: 'string', long: 'int64', int: 'int64' }

export const DTYPE_NAMES = [
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64', 'string',
]

/** True when a name in a schema (`float32`, `integer`, `numeric` …) is one the checker knows. */
export function isKnownDtypeName(name: string): boolean {
  return name in FAMILIES || name in ALIASES || DTYPE_NAMES.includes(name)
}

export function dtypeMatches(actual: string, allowed: readonly string[]): boolean {
  return allowed.some((name) => {
    const family = FAMILIES[name]
    return family ? family(actual) : (ALIASES[name] ?? name) === actual
  })
}
