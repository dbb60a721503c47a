//! Counters and latency histograms shared by every bot of a run.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;

use super::stream::Frame;

/// Values below this are kept exactly (one bucket per microsecond).
const LINEAR: u64 = 128;
/// Buckets per power of two above [`LINEAR`]: about 1.6 % relative precision.
const SUB_BUCKETS: u64 = 64;
const SUB_BITS: u32 = 6;
/// Powers of two covered above [`LINEAR`] (2^7 µs … 2^48 µs).
const OCTAVES: u64 = 42;

/// A log-linear histogram of durations in microseconds (HDR-style, fixed memory, ~1.6 % precision).
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    max: u64,
    min: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; (LINEAR + OCTAVES * SUB_BUCKETS) as usize],
            count: 0,
            sum: 0,
            max: 0,
            min: u64::MAX,
        }
    }
}

fn bucket_of(micros: u64) -> usize {
    if micros < LINEAR {
        return micros as usize;
    }
    let exp = 63 - micros.leading_zeros(); // ≥ 7
    let shift = exp - SUB_BITS;
    let sub = (micros >> shift) - SUB_BUCKETS; // 0..64
    let octave = u64::from(exp - 7).min(OCTAVES - 1);
    (LINEAR + octave * SUB_BUCKETS + sub) as usize
}

/// The largest value that falls in `bucket`.
fn bucket_high(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < LINEAR {
        return bucket;
    }
    let octave = (bucket - LINEAR) / SUB_BUCKETS;
    let sub = (bucket - LINEAR) % SUB_BUCKETS;
    let shift = octave + 1; // exp - SUB_BITS with exp = octave + 7
    ((SUB_BUCKETS + sub + 1) << shift) - 1
}

impl Histogram {
    /// Records one duration.
    pub fn record(&mut self, value: Duration) {
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.record_micros(micros);
    }

    /// Records one value in microseconds.
    pub fn record_micros(&mut self, micros: u64) {
        self.counts[bucket_of(micros)] += 1;
        self.count += 1;
        self.sum += u128::from(micros);
        self.max = self.max.max(micros);
        self.min = self.min.min(micros);
    }

    /// Adds another histogram's values.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
        self.min = self.min.min(other.min);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value at quantile `q` (0..=1), in microseconds: an upper bound within the bucket's
    /// precision, never above the largest value recorded. 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_high(bucket).min(self.max).max(self.min);
            }
        }
        self.max
    }

    /// p50, p95, p99, max and mean in milliseconds.
    pub fn summary(&self) -> LatencySummary {
        let ms = |micros: u64| micros as f64 / 1000.0;
        LatencySummary {
            count: self.count,
            mean_ms: if self.count == 0 {
                0.0
            } else {
                self.sum as f64 / self.count as f64 / 1000.0
            },
            p50_ms: ms(self.quantile(0.50)),
            p95_ms: ms(self.quantile(0.95)),
            p99_ms: ms(self.quantile(0.99)),
            max_ms: ms(self.max),
        }
    }
}

/// A latency distribution as reported.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// What went wrong with a delivered stream. Any of these fails the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// `gap`, `repeat`, `state_ahead`, `state_behind`, `wrong_game`, `divergent`, `unreadable`,
    /// `catch_up`.
    pub kind: &'static str,
    /// Where and what.
    pub detail: String,
}

/// Counters of one run. Shared by every task; cheap to update.
#[derive(Default)]
pub struct Stats {
    /// Commands sent over WebSocket (retries of the same request id count once).
    pub commands_sent: AtomicU64,
    /// Commands answered `ok: true`.
    pub commands_ok: AtomicU64,
    /// Commands answered `ok: false`.
    pub commands_refused: AtomicU64,
    /// `event` frames received by every connection together.
    pub events_delivered: AtomicU64,
    /// Text frames received.
    pub frames_received: AtomicU64,
    /// Bytes of text frames received.
    pub bytes_received: AtomicU64,
    /// Of those, the `patch` members of `update` frames, their `legal` hints included.
    pub bytes_patches: AtomicU64,
    /// Of those, the `legal` hints in the patches.
    pub bytes_legal: AtomicU64,
    /// Of those, the rest of the `update` frames: their events and their own keys.
    pub bytes_update_events: AtomicU64,
    /// Of those, the `commandResult` frames.
    pub bytes_command_results: AtomicU64,
    /// Games created.
    pub games_started: AtomicU64,
    /// Games that reached `GameEnded` at every player.
    pub games_completed: AtomicU64,
    /// Games still running when the time was up.
    pub games_unfinished: AtomicU64,
    /// Games given up because of an error (stall, refused commands, a broken connection).
    pub games_abandoned: AtomicU64,
    /// WebSocket connections open now.
    pub connections_open: AtomicI64,
    /// Most WebSocket connections open at once.
    pub connections_peak: AtomicI64,
    /// WebSocket connections opened in total.
    pub connections_opened: AtomicU64,
    /// Player connections that dropped and reconnected with lastEventId.
    pub reconnects: AtomicU64,
    /// Command → own `commandResult`.
    pub result_latency: Mutex<Histogram>,
    /// The same, for the current second only (the sampler takes it every second).
    pub result_window: Mutex<Histogram>,
    /// Command → its last event received by the last player of the game.
    pub delivery_latency: Mutex<Histogram>,
    errors: Mutex<BTreeMap<String, u64>>,
    violations: Mutex<(u64, BTreeMap<&'static str, u64>, Vec<Violation>)>,
}

/// Violations kept verbatim for the report.
const VIOLATION_EXAMPLES: usize = 20;

impl Stats {
    /// Counts an error by its code.
    pub fn error(&self, code: &str) {
        *self.errors.lock().entry(code.to_string()).or_default() += 1;
    }

    /// Errors by code.
    pub fn errors(&self) -> BTreeMap<String, u64> {
        self.errors.lock().clone()
    }

    /// Records a stream violation.
    pub fn violation(&self, violation: Violation) {
        tracing::error!(kind = violation.kind, detail = %violation.detail, "stream violation");
        let mut v = self.violations.lock();
        v.0 += 1;
        *v.1.entry(violation.kind).or_default() += 1;
        if v.2.len() < VIOLATION_EXAMPLES {
            v.2.push(violation);
        }
    }

    /// Total violations, by kind, and the first few.
    pub fn violations(&self) -> (u64, BTreeMap<&'static str, u64>, Vec<Violation>) {
        self.violations.lock().clone()
    }

    /// A connection opened.
    pub fn connection_opened(&self) {
        self.connections_opened.fetch_add(1, Ordering::Relaxed);
        let open = self.connections_open.fetch_add(1, Ordering::Relaxed) + 1;
        self.connections_peak.fetch_max(open, Ordering::Relaxed);
    }

    /// A connection closed.
    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts where the `bytes` of a frame went: an update's patch (and its hints) and the rest
    /// of it, or a `commandResult` (the total is counted as the frame is read).
    pub fn count_bytes(&self, frame: &Frame, bytes: usize) {
        let add = |counter: &AtomicU64, n: usize| {
            counter.fetch_add(n as u64, Ordering::Relaxed);
        };
        match frame {
            Frame::Update {
                patch_bytes,
                legal_bytes,
                ..
            } => {
                add(&self.bytes_patches, *patch_bytes);
                add(&self.bytes_legal, *legal_bytes);
                add(
                    &self.bytes_update_events,
                    bytes.saturating_sub(*patch_bytes),
                );
            }
            Frame::CommandResult { .. } => add(&self.bytes_command_results, bytes),
            _ => {}
        }
    }
}

/// Keeps a connection counted as open while it lives.
pub struct OpenConnection<'a>(&'a Stats);

impl<'a> OpenConnection<'a> {
    /// Counts a connection as opened.
    pub fn new(stats: &'a Stats) -> Self {
        stats.connection_opened();
        OpenConnection(stats)
    }
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.connection_closed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact_and_large_ones_within_two_percent() {
        let mut h = Histogram::default();
        for v in 0..100 {
            h.record_micros(v);
        }
        assert_eq!(h.quantile(0.5), 49);
        assert_eq!(h.quantile(1.0), 99);
        for v in [1_000u64, 12_345, 987_654, 5_000_000_000] {
            let mut h = Histogram::default();
            h.record_micros(v);
            h.record_micros(v * 2);
            let q = h.quantile(0.5);
            assert!(q >= v && (q - v) as f64 <= v as f64 * 0.02, "{v} → {q}");
        }
    }

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for v in (0..2_000_000u64)
            .step_by(997)
            .chain([u64::MAX / 2, u64::MAX])
        {
            let b = bucket_of(v);
            assert!(b >= last, "{v}");
            assert!(b < LINEAR as usize + (OCTAVES * SUB_BUCKETS) as usize);
            if v < (1 << 48) {
                assert!(bucket_high(b) >= v, "{v} above its bucket {b}");
            }
            last = b;
        }
    }

    #[test]
    fn quantiles_of_a_spread_and_merging() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        for v in 1..=1000u64 {
            if v % 2 == 0 {
                a.record_micros(v * 10);
            } else {
                b.record_micros(v * 10);
            }
        }
        a.merge(&b);
        assert_eq!(a.count(), 1000);
        let p99 = a.quantile(0.99);
        assert!((9_900..=10_100).contains(&p99), "{p99}");
        let s = a.summary();
        assert_eq!(s.max_ms, 10.0);
        assert!((s.mean_ms - 5.005).abs() < 1e-9);
        assert_eq!(Histogram::default().summary().p99_ms, 0.0);
    }
}
