import { parseDataYaml, yamlPosition } from '../data-yaml.js'
import { type TSchema, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { InvalidInputError } from '../errors/index.js'
import { isKnownDtypeName } from './dtype-match.js'
import { type DeclarativeSchema, type ElementDef, VALIDATOR_TYPES, type ValidatorDef } from './schema-types.js'

/** Larger documents are refused before parsing: a schema is a page, not a data file. */
export const MAX_SCHEMA_BYTES = 1024 * 1024
const MAX_ALIASES = 100
const MAX_DEPTH = 32

const Num = Type.Number()
const ValueRuleFields = {
  enum: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { minItems: 1 })),
  pattern: Type.Optional(Type.String()),
  min: Type.Optional(Num),
  max: Type.Optional(Num),
  integer: Type.Optional(Type.Boolean()),
  finite: Type.Optional(Type.Boolean()),
  unique: Type.Optional(Type.Boolean()),
}
const Names = Type.Array(Type.String({ minLength: 1 }))
const Dim = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ minLength: 1 }),
  Type.Null(),
  Type.Object({ min: Type.Optional(Type.Integer({ minimum: 0 })), max: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
])
const Attributes = Type.Record(Type.String(), Type.Object({ ...ValueRuleFields, required: Type.Optional(Type.Boolean()) }, { additionalProperties: false }))
const Dtypes = Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })])
const strict = { additionalProperties: false }
const base = { type: Type.String(), description: Type.Optional(Type.String()), attributes: Type.Optional(Attributes) }

const Column = Type.Object(
  { ...ValueRuleFields, description: Type.Optional(Type.String()), dtype: Type.Optional(Dtypes), categorical: Type.Optional(Type.Boolean()), nullable: Type.Optional(Type.Boolean()) },
  strict,
)
const groupFields = {
  required: Type.Optional(Names),
  properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  forbidden: Type.Optional(Names),
  pattern_properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  min_pattern_matches: Type.Optional(Type.Integer({ minimum: 0 })),
  forbidden_prefixes: Type.Optional(Names),
}
const ELEMENT_SCHEMAS: Record<string, TSchema> = {
  ndarray: Type.Object(
    {
      ...base,
      allowed_dtypes: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
      ndim: Type.Optional(Type.Integer({ minimum: 0 })),
      shape: Type.Optional(Type.Array(Dim)),
      chunks: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]))),
      encodings: Type.Optional(Type.Array(Type.Union([Type.Literal('dense'), Type.Literal('csr'), Type.Literal('csc')]), { minItems: 1 })),
      values: Type.Optional(Type.Object({ integer: ValueRuleFields.integer, finite: ValueRuleFields.finite, min: ValueRuleFields.min, max: ValueRuleFields.max }, strict)),
      sparse_above_zero_fraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    },
    strict,
  ),
  dataframe: Type.Object(
    {
      ...base,
      required: Type.Optional(Names),
      columns: Type.Optional(Type.Record(Type.String(), Column)),
      forbidden: Type.Optional(Names),
      index: Type.Optional(Column),
      length: Type.Optional(Dim),
      forbidden_prefixes: Type.Optional(Names),
    },
    strict,
  ),
  object: Type.Object({ ...base, ...groupFields }, strict),
  scalar: Type.Object({ ...base, ...ValueRuleFields, dtype: Type.Optional(Dtypes) }, strict),
}
ELEMENT_SCHEMAS.sparse = ELEMENT_SCHEMAS.ndarray!
for (const t of ['string', 'number', 'boolean']) ELEMENT_SCHEMAS[t] = ELEMENT_SCHEMAS.scalar!

const ValidatorSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }),
    type: Type.Union(VALIDATOR_TYPES.map((t) => Type.Literal(t))),
    description: Type.Optional(Type.String()),
    severity: Type.Optional(Type.Union([Type.Literal('error'), Type.Literal('warning')])),
    attributes: Type.Optional(Attributes),
    ...groupFields,
  },
  strict,
)
const DocumentSchema = Type.Object(
  {
    version: Type.Optional(Type.Literal(1)),
    description: Type.Optional(Type.String()),
    types: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$' }), Type.Unknown())),
    validators: Type.Array(Type.Unknown(), { minItems: 1 }),
  },
  strict,
)

/**
 * Reads a declarative schema from YAML or JSON text, or checks an already parsed object.
 * Refuses unknown fields, unknown types and dtypes, bad regular expressions, custom YAML tags
 * and alias bombs, listing every problem at once.
 */
export function parseDeclarativeSchema(input: unknown, source = 'declarative schema'): DeclarativeSchema {
  const raw = typeof input === 'string' ? parseText(input, source) : input
  const problems: string[] = []
  checkAgainst(DocumentSchema, raw, '', problems)
  // Carry on past a bad field where the shape allows, so that one reading lists every problem.
  if (!isMapping(raw) || !Array.isArray(raw.validators)) throw invalid(source, problems)
  const doc = raw
  const rawTypes = isMapping(doc.types) ? doc.types : {}
  const resolver = new TypeResolver(rawTypes, problems)
  const types: Record<string, ElementDef> = {}
  for (const [name, def] of Object.entries(rawTypes)) {
    const resolved = resolver.element(def, `types/${name}`, 0)
    if (resolved) types[name] = resolved
  }
  const validators: ValidatorDef[] = []
  const ids = new Set<string>()
  ;(doc.validators as unknown[]).forEach((v, i) => {
    const at = `validators/${i}`
    if (!checkAgainst(ValidatorSchema, v, at, problems) && !isMapping(v)) return
    const validator = { ...(v as ValidatorDef) }
    if (ids.has(validator.id)) problems.push(`${at}/id: duplicate validator id ${validator.id}`)
    ids.add(validator.id)
    const table = validator.type === 'Table' || validator.type === 'CSV'
    if (isMapping(validator.properties)) {
      validator.properties = Object.fromEntries(
        Object.entries(validator.properties).map(([k, d]) => [k, table ? resolver.column(d, `${at}/properties/${k}`) : resolver.element(d, `${at}/properties/${k}`, 1)]),
      ) as ValidatorDef['properties']
    }
    if (isMapping(validator.pattern_properties)) validator.pattern_properties = resolver.patterns(validator.pattern_properties, `${at}/pattern_properties`, 1)
    validators.push(validator)
  })
  if (problems.length > 0) throw invalid(source, problems)
  return { version: 1, description: doc.description as string | undefined, types, validators }
}

class TypeResolver {
  private readonly resolving = new Set<string>()

  constructor(
    private readonly types: Record<string, unknown>,
    private readonly problems: string[],
  ) {}

  element(def: unknown, at: string, depth: number): ElementDef | undefined {
    if (depth > MAX_DEPTH) return void this.problems.push(`${at}: nested deeper than ${MAX_DEPTH} levels`)
    if (typeof def !== 'object' || def === null || Array.isArray(def)) return void this.problems.push(`${at}: must be a mapping`)
    let merged = def as Record<string, unknown>
    const type = merged.type
    if (typeof type === 'string' && !(type in ELEMENT_SCHEMAS) && type in this.types) {
      if (this.resolving.has(type)) return void this.problems.push(`${at}: type ${type} refers to itself`)
      this.resolving.add(type)
      const parent = this.element(this.types[type], `types/${type}`, depth + 1)
      this.resolving.delete(type)
      if (!parent) return undefined
      const { type: _t, ...rest } = merged
      merged = { ...parent, ...rest }
    }
    const schema = typeof merged.type === 'string' ? ELEMENT_SCHEMAS[merged.type] : undefined
    if (!schema) {
      const known = [...Object.keys(ELEMENT_SCHEMAS), ...Object.keys(this.types)].join(', ')
      return void this.problems.push(`${at}/type: unknown element type ${JSON.stringify(merged.type)} (known: ${known})`)
    }
    const ok = checkAgainst(schema, merged, at, this.problems)
    const out = { ...merged } as Record<string, unknown>
    checkDtypes(out.allowed_dtypes ?? out.dtype, at, this.problems)
    checkPattern(out.pattern, at, this.problems)
    if (isMapping(out.columns)) {
      out.columns = Object.fromEntries(Object.entries(out.columns as Record<string, unknown>).map(([k, c]) => [k, this.column(c, `${at}/columns/${k}`)]))
    }
    if (out.index) out.index = this.column(out.index, `${at}/index`)
    if (isMapping(out.properties)) {
      out.properties = Object.fromEntries(
        Object.entries(out.properties as Record<string, unknown>).map(([k, d]) => [k, this.element(d, `${at}/properties/${k}`, depth + 1)]),
      )
    }
    if (isMapping(out.pattern_properties)) out.pattern_properties = this.patterns(out.pattern_properties as Record<string, unknown>, `${at}/pattern_properties`, depth + 1)
    return ok ? (out as unknown as ElementDef) : undefined
  }

  column(def: unknown, at: string): ElementDef | undefined {
    if (!checkAgainst(ELEMENT_SCHEMAS.dataframe!.properties.index as TSchema, def, at, this.problems)) return undefined
    const column = def as Record<string, unknown>
    checkDtypes(column.dtype, at, this.problems)
    checkPattern(column.pattern, at, this.problems)
    return column as unknown as ElementDef
  }

  patterns(defs: Record<string, unknown>, at: string, depth: number): Record<string, ElementDef> {
    const out: Record<string, ElementDef> = {}
    for (const [regex, d] of Object.entries(defs)) {
      checkPattern(regex, `${at}/${regex}`, this.problems)
      const resolved = this.element(d, `${at}/${regex}`, depth)
      if (resolved) out[regex] = resolved
    }
    return out
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkAgainst(schema: TSchema, value: unknown, at: string, problems: string[]): boolean {
  if (Value.Check(schema, value)) return true
  for (const e of Value.Errors(schema, value)) {
    const where = `${at}${e.path}`.replace(/^\//, '') || '(document)'
    const unknown = e.schema && (e.schema as { additionalProperties?: unknown }).additionalProperties === false && /additional|Unexpected property/i.test(e.message)
    problems.push(`${where}: ${unknown ? 'unknown field' : e.message}`)
  }
  return false
}

function checkDtypes(value: unknown, at: string, problems: string[]): void {
  for (const name of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
    if (typeof name === 'string' && !isKnownDtypeName(name)) problems.push(`${at}: unknown dtype ${JSON.stringify(name)}`)
  }
}

function checkPattern(value: unknown, at: string, problems: string[]): void {
  if (typeof value !== 'string') return
  try {
    new RegExp(value, 'u')
  } catch {
    problems.push(`${at}/pattern: not a valid regular expression: ${value}`)
  }
}

function parseText(text: string, source: string): unknown {
  if (Buffer.byteLength(text) > MAX_SCHEMA_BYTES) throw new InvalidInputError(`${source} is larger than ${MAX_SCHEMA_BYTES} bytes`)
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text) as unknown
    } catch {
      // Flow-style YAML also starts with a brace; let the YAML parser report it.
    }
  }
  const { value, problems } = parseDataYaml(text, MAX_ALIASES)
  if (problems.length > 0) {
    throw invalid(
      source,
      problems.map((p) => (p.code === 'YAML_TAG' ? `tag not allowed${yamlPosition(p)}: ${p.message} (a schema is plain data)` : `${p.code === 'INVALID_YAML' ? 'not valid YAML' : 'YAML'}${yamlPosition(p)}: ${p.message}`)),
    )
  }
  return value
}

function invalid(source: string, problems: string[]): InvalidInputError {
  const shown = problems.slice(0, 30).map((p) => `  - ${p}`)
  if (problems.length > 30) shown.push(`  … and ${problems.length - 30} more`)
  return new InvalidInputError(`${source} is invalid:\n${shown.join('\n')}`)
}
