//! What the benches share: pinning threads to cores, and the interleaved A/B measurement
//! whose paired ratios the README reports.
//!
//! This machine is a shared virtual machine whose cross-core latency and memory bandwidth flip
//! between states lasting seconds, so two figures measured a minute apart are not comparable.
//! `interleave` therefore runs every contender once per round, many short rounds, rotating the
//! order each round (so no contender always runs first, or always after the same one), and the
//! report uses per-round ratios, whose spread shows how much the state moved within a round.

use std::sync::OnceLock;

/// The machine's cores, read once: `get_core_ids` lists only the cores the *calling thread*
/// may run on, so after the first pin it would shrink to one.
pub fn cores() -> &'static [core_affinity::CoreId] {
    static CORES: OnceLock<Vec<core_affinity::CoreId>> = OnceLock::new();
    CORES.get_or_init(|| core_affinity::get_core_ids().unwrap_or_default())
}

/// Pins the calling thread to the `index`-th core, if the machine has it.
pub fn pin(index: usize) {
    if let Some(core) = cores().get(index) {
        core_affinity::set_for_current(*core);
    }
}

/// Number of interleaved rounds: `RECAL_BENCH_ROUNDS`, or `default`.
pub fn rounds(default: usize) -> usize {
    std::env::var("RECAL_BENCH_ROUNDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Whether this is a real bench run (`cargo bench`), not the one-shot smoke run of
/// `cargo test --benches`, which should skip the long interleaved report.
pub fn is_bench_run() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// Runs each contender once per round for `rounds` rounds, rotating the starting contender
/// every round. Returns each contender's samples, in round order.
pub fn interleave(rounds: usize, contenders: &mut [&mut dyn FnMut() -> f64]) -> Vec<Vec<f64>> {
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        for offset in 0..contenders.len() {
            let which = (round + offset) % contenders.len();
            samples[which].push(contenders[which]());
        }
    }
    samples
}

/// Quartiles (p25, median, p75) of `values`.
pub fn quartiles(values: &[f64]) -> [f64; 3] {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    [at(0.25), at(0.5), at(0.75)]
}

/// Per-round ratios `a[round] / b[round]`.
pub fn paired_ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x / y).collect()
}

/// Prints one labelled row of sample quartiles.
pub fn print_quartiles(label: &str, samples: &[f64], unit: &str) {
    let [p25, p50, p75] = quartiles(samples);
    println!("  {label:<34} median {p50:>8.2} {unit}  (p25 {p25:.2}, p75 {p75:.2})");
}

/// Prints the quartiles of the paired ratios `a / b` under `label`.
pub fn print_ratio(label: &str, a: &[f64], b: &[f64]) {
    let [p25, p50, p75] = quartiles(&paired_ratios(a, b));
    println!("  {label:<40} median {p50:.2}x  (p25 {p25:.2}x, p75 {p75:.2}x)");
}
