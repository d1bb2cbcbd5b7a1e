import { type AssetRecord, checkCompatibility, InvalidInputError, isCompatible, parseSpec, type SpecKind } from '@assets/core'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'

const Ref = Type.Object({ key: Type.String({ minLength: 1, maxLength: 1024 }), ref: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }, { additionalProperties: false })
const CheckBody = Type.Object({ dataset: Ref, model: Ref, task: Type.Optional(Ref) }, { additionalProperties: false })

async function specOf<K extends SpecKind>(request: FastifyRequest, kind: K, ref: { key: string; ref?: string }) {
  const record: AssetRecord = await request.assets.getMetadata(ref.key, ref.ref ?? 'latest')
  if (record.specs === undefined || record.specs === null) throw new InvalidInputError(`${record.key}@${record.version} was registered without a ${kind} spec`)
  return { record, spec: parseSpec(kind, record.specs, { source: `${record.key}@${record.version}` }) }
}

/**
 * `assets check-compat` over registered versions: the dataset × model (× task) checker on the
 * specs stored with each (readable) version, as the catalogue's "compatible datasets" needs.
 */
export function compatibilityRoutes(app: FastifyInstance): void {
  app.post('/v1/check-compat', { schema: { tags: ['catalogue'], summary: 'Whether registered dataset and model versions fit together, by their specs', body: CheckBody } }, async (request) => {
    const body = request.body as { dataset: { key: string; ref?: string }; model: { key: string; ref?: string }; task?: { key: string; ref?: string } }
    const dataset = await specOf(request, 'dataset', body.dataset)
    const model = await specOf(request, 'model', body.model)
    const task = body.task ? await specOf(request, 'task', body.task) : undefined
    const issues = checkCompatibility(dataset.spec, model.spec, task?.spec)
    const errors = issues.filter((i) => i.severity === 'error').length
    const at = (r: AssetRecord) => ({ key: r.key, version: r.version })
    return {
      compatible: isCompatible(issues),
      errors,
      warnings: issues.length - errors,
      dataset: at(dataset.record),
      model: at(model.record),
      task: task ? at(task.record) : null,
      issues,
    }
  })
}
