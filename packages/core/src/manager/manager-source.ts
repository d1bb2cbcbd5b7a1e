import type { Actor } from '../acl.js'
import { ConfigInvalidError, InvalidInputError } from '../errors/index.js'
import { schemaProblems } from '../config/config-schema.js'
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { BaseAssetManager } from './base-asset-manager.js'
import type { ManagerParts } from './manager-parts.js'

/** What a specialised manager's factory accepts: the parts of a stack, or a manager built on one. */
export type ManagerSource = ManagerParts | BaseAssetManager

/**
 * The parts and actor of a source. A built manager shares its parts (validators, look-up
 * cache) with the new one, as `manager.as()` does; its actor is kept unless another is given.
 */
export function stackOf(source: ManagerSource, actor?: Actor): { parts: ManagerParts; actor: Actor } {
  // Duck-typed as well as instanceof: a manager from another copy of core is still a manager.
  const built = source as Partial<Pick<BaseAssetManager, 'stack' | 'actor'>>
  if (source instanceof BaseAssetManager || (typeof built.stack === 'function' && typeof built.actor === 'object')) {
    const manager = source as BaseAssetManager
    return { parts: manager.stack(), actor: actor ?? manager.actor }
  }
  if (!actor) throw new InvalidInputError('an actor ({user, groups?, roles?}) is required to build a manager from its parts')
  return { parts: source as ManagerParts, actor }
}

/** Checks a manager's own options against their schema, reporting every bad field at once. */
export function checkOptions<S extends TSchema>(schema: S, options: unknown, what: string): Static<S> {
  if (Value.Check(schema, options)) return options
  throw new ConfigInvalidError(schemaProblems(schema, options, what))
}
