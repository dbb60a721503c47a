// Command latency percentiles from the server's Prometheus text (/metrics): the histogram
// caravan_command_duration_seconds, summed over command types, differenced between two readings.
// Pure functions, so they are tested outside a browser too.

/**
 * The command-latency histogram from Prometheus text, summed over command types:
 * [[upperBoundSecs, cumulativeCount], …] ending with Infinity.
 */
export function latencyBuckets(text) {
  const byLe = new Map();
  for (const line of String(text).split('\n')) {
    if (!line.startsWith('caravan_command_duration_seconds_bucket{')) continue;
    const m = /le="([^"]+)"\}\s+([0-9.eE+-]+)/.exec(line);
    if (!m) continue;
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
    byLe.set(le, (byLe.get(le) || 0) + Number(m[2]));
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]);
}

/** Bucket counts between two readings (commands handled in between). */
export function bucketDelta(now, before) {
  const old = new Map(before || []);
  return now.map(([le, n]) => [le, Math.max(0, n - (old.get(le) || 0))]);
}

/** The q-quantile (0..1) in milliseconds from cumulative buckets, interpolated within its bucket; null when empty. */
export function quantileMs(buckets, q) {
  if (!buckets.length) return null;
  const totalCount = buckets[buckets.length - 1][1];
  if (!totalCount) return null;
  const want = q * totalCount;
  let prevLe = 0;
  let prevN = 0;
  for (const [le, n] of buckets) {
    if (n >= want) {
      if (le === Infinity) return prevLe * 1000; // beyond the last bound: say the bound
      const inBucket = n - prevN;
      const frac = inBucket > 0 ? (want - prevN) / inBucket : 1;
      return (prevLe + (le - prevLe) * frac) * 1000;
    }
    prevLe = le;
    prevN = n;
  }
  return prevLe * 1000;
}
