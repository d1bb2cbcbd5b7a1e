import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalCache } from '@assets/cache-local'
import { BaseAssetManager } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { temporaryFolder } from '@assets/testkit'
import { expect, it } from 'vitest'

/** Two workers: separate plugin instances over one registry, one storage and one cache folder. */
async function twoWorkers() {
  const home = await temporaryFolder('assets-workers')
  const worker = (user: string) =>
    new BaseAssetManager(
      {
        storage: createLocalStorage({ path: join(home, 'storage') }),
        registry: createSqliteRegistry({ path: join(home, 'registry.db') }),
        cache: createLocalCache({ path: join(home, 'cache') }),
        metadataTtl: 3600,
      },
      { user },
    )
  const file = async (name: string, text: string) => {
    await writeFile(join(home, name), text)
    return join(home, name)
  }
  return { a: worker('alice'), b: worker('alice'), file }
}

it('no worker is served a cached latest, tag or ACL after another worker changed it', async () => {
  const { a, b, file } = await twoWorkers()
  try {
    await a.put('shared/k', await file('1', 'one'))
    expect((await b.getMetadata('shared/k')).version).toBe('1.0.0') // cached by b now
    await a.put('shared/k', await file('2', 'two'))
    expect((await b.getMetadata('shared/k')).version).toBe('1.0.1')
    await a.tag('shared/k', 'prod', '1.0.0')
    expect((await b.getMetadata('shared/k', 'prod')).version).toBe('1.0.0')
    await a.tag('shared/k', 'prod', '1.0.1')
    expect((await b.getMetadata('shared/k', 'prod')).version).toBe('1.0.1')
    const carol = b.as({ user: 'carol' })
    expect((await carol.getMetadata('shared/k')).version).toBe('1.0.1')
    await a.setAccessControl('shared/k', { read: [] })
    await expect(carol.getMetadata('shared/k')).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
    await a.delete('shared/k', '1.0.1')
    expect((await b.getMetadata('shared/k')).version).toBe('1.0.0')
  } finally {
    await a.close()
    await b.close()
  }
})

it('look-ups are served from the cache until something changes', async () => {
  const { a, b, file } = await twoWorkers()
  try {
    await a.put('shared/c', await file('c', 'cached'))
    await b.getMetadata('shared/c')
    // Behind the manager's back (no invalidation), the registry changes: the cached answer stays.
    await a.registry.setTag('shared/c', 'sneaky', '1.0.0', { actor: 'user:alice' })
    await b.getMetadata('shared/c', 'sneaky') // cached from the registry on first use
    await a.registry.removeTag('shared/c', 'sneaky', { actor: 'user:alice' })
    expect((await b.getMetadata('shared/c', 'sneaky')).version).toBe('1.0.0')
    // Any change through a manager starts a new generation.
    await a.annotate('shared/c', 'note')
    await a.tag('shared/c', 'other', '1.0.0')
    await expect(b.getMetadata('shared/c', 'sneaky')).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
  } finally {
    await a.close()
    await b.close()
  }
})
