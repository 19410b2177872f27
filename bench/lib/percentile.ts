/** Nearest-rank quantile (q in 0..1) of ascending values; 0 when there are none. */
export const nearestRank = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0) : 0
