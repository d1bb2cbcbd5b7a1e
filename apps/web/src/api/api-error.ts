/**
 * A refusal of the asset server, as its `{error: {code, message}}` body says: the stable code
 * (UNAUTHENTICATED, ACCESS_DENIED, ASSET_NOT_FOUND …) and the server's own message, which is
 * what the pages show. `NETWORK` when no answer came at all.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }

  static isInstance(error: unknown): error is ApiError {
    return error instanceof Error && error.name === 'ApiError' && 'status' in error
  }
}

/** The error a response carries, from its body when it is ours, else from its status line. */
export async function errorOfResponse(response: Response, body?: unknown): Promise<ApiError> {
  const parsed = body ?? (await response.json().catch(() => undefined))
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
  if (error && typeof error.code === 'string' && typeof error.message === 'string') return new ApiError(response.status, error.code, error.message)
  return new ApiError(response.status, `HTTP_${response.status}`, `the server answered ${response.status} ${response.statusText}`.trim())
}
