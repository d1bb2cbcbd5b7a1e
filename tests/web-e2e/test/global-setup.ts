// One embedded stack filled by the assets command, and `assets serve` over it, for every file.
import { type Catalogue, CatalogueStack } from './fixtures/catalogue-stack.js'

export default async function setup({ provide }: { provide: (key: 'catalogue', value: Catalogue) => void }) {
  const stack = await CatalogueStack.start()
  provide('catalogue', stack.catalogue)
  return () => stack.stop()
}

declare module 'vitest' {
  export interface ProvidedContext {
    catalogue: Catalogue
  }
}
