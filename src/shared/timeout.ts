/** Rejects with a `code: 'TIMEOUT'` error if `p` has not settled in `ms`; `p` itself is left to run. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string, code = 'TIMEOUT'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code })),
      ms,
    )
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}
