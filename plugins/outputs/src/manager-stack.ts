import { type Actor, BaseAssetManager, ConfigInvalidError, InvalidInputError, type ManagerParts, type TSchema, Value } from '@assets/core'

/** What a manager factory accepts: the parts of a stack, or a manager already built on one. */
export type ManagerSource = ManagerParts | BaseAssetManager

/**
 * The parts and actor of a source. A built manager shares its parts (validators, look-up cache)
 * with the new one, as `manager.as()` does; core keeps them in its protected `parts` field.
 */
export function stackOf(source: ManagerSource, actor?: Actor): { parts: ManagerParts; actor: Actor } {
  // Duck-typed as well as instanceof: a manager from another copy of core is still a manager.
  const built = source as unknown as { parts?: ManagerParts; actor?: Actor }
  if (source instanceof BaseAssetManager || (typeof built.parts === 'object' && built.parts !== null && typeof built.actor === 'object')) {
    return { parts: built.parts!, actor: actor ?? built.actor! }
  }
  if (!actor) throw new InvalidInputError('an actor ({user, groups?, roles?}) is required to build a manager from its parts')
  return { parts: source, actor }
}

/** Checks a manager's own options against their schema, reporting every bad field. */
export function checkOptions<T>(schema: TSchema, options: T, what: string): T {
  if (Value.Check(schema, options)) return options
  const problems = [...Value.Errors(schema, options)].map((e) => ({ field: `${what}${e.path.replace(/\//g, '.')}`, message: e.message }))
  throw new ConfigInvalidError(problems)
}
