//! The backtest's readable report: one table per tape, a summary across tapes.

use std::fmt::Write as _;

use super::policy::PolicyRun;

/// Everything reported about one tape.
#[derive(Debug, Clone, PartialEq)]
pub struct TapeReport {
    /// Tape name.
    pub tape: String,
    /// Venue symbol and stream.
    pub instrument: String,
    /// Bars replayed.
    pub bars: usize,
    /// First and last bar open, ms.
    pub span_ms: (u64, u64),
    /// First open and last close.
    pub first_last: (f64, f64),
    /// Lowest low and the open time of its bar, ms.
    pub low: (f64, u64),
    /// Bars that only warmed the engine up.
    pub warm_up_bars: usize,
    /// Traders, their deposits and the starting insurance fund.
    pub population: (usize, f64, f64),
    /// Calm bars among the simulated ones.
    pub calm_bars: usize,
    /// One run per policy, in the order asked.
    pub runs: Vec<PolicyRun>,
}

impl TapeReport {
    /// The run of the policy named `name`.
    #[must_use]
    pub fn run(&self, name: &str) -> Option<&PolicyRun> {
        self.runs.iter().find(|run| run.name == name)
    }
}

/// `hh:mm` of `ms`, with the date when it differs from `day_of`'s.
fn clock(ms: u64, day_of: u64) -> String {
    let seconds = ms / 1_000;
    let time = format!("{:02}:{:02}", seconds / 3_600 % 24, seconds / 60 % 60);
    if seconds / 86_400 == day_of / 86_400_000 {
        time
    } else {
        let (year, month, day) = civil_date(seconds / 86_400);
        format!("{year:04}-{month:02}-{day:02} {time}")
    }
}

/// Gregorian date of a day number since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A quote amount with a thousands unit: `1.23 M`, `45.6 k`, `789`.
fn money(amount: f64) -> String {
    let magnitude = amount.abs();
    if magnitude >= 1e6 {
        format!("{:.2} M", amount / 1e6)
    } else if magnitude >= 1e3 {
        format!("{:.1} k", amount / 1e3)
    } else {
        format!("{amount:.0}")
    }
}

fn percent(fraction: Option<f64>) -> String {
    fraction.map_or_else(|| "n/a".to_owned(), |f| format!("{:.2} %", f * 100.0))
}

/// The table of one tape, with `samples` points of each adaptive policy's margin path.
#[must_use]
pub fn render(report: &TapeReport, samples: usize) -> String {
    let mut out = String::new();
    let (start, end) = report.span_ms;
    let simulated = report.bars.saturating_sub(report.warm_up_bars);
    let (accounts, deposits, fund) = report.population;
    let _ = writeln!(
        out,
        "== {} — {}, {} one-minute bars, {} → {} UTC",
        report.tape,
        report.instrument,
        report.bars,
        clock(start, 0),
        clock(end, start),
    );
    let _ = writeln!(
        out,
        "   price {:.2} → {:.2}, low {:.2} at {}; {} warm-up minutes, then {accounts} accounts \
         (deposits {}, insurance fund {})",
        report.first_last.0,
        report.first_last.1,
        report.low.0,
        clock(report.low.1, start),
        report.warm_up_bars,
        money(deposits),
        money(fund),
    );
    let _ = writeln!(
        out,
        "   calm: {} of {simulated} simulated minutes (trailing 60-min close-to-close vol < 75 %)\n",
        report.calm_bars,
    );
    let _ = writeln!(
        out,
        "   {:<14} {:>10} {:>9} {:>10} {:>6} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}",
        "policy",
        "bad debt",
        "% peak OI",
        "socialised",
        "liqs",
        "liq. vol.",
        "fund end",
        "calm IM",
        "calm max",
        "calm liqs",
        "IM max",
    );
    for run in &report.runs {
        let tally = &run.tally;
        let share =
            (tally.peak_open_interest > 0.0).then(|| tally.bad_debt / tally.peak_open_interest);
        let _ = writeln!(
            out,
            "   {:<14} {:>10} {:>9} {:>10} {:>6} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}",
            run.name,
            money(tally.bad_debt),
            share.map_or_else(|| "n/a".to_owned(), |s| format!("{:.3} %", s * 100.0)),
            money(tally.socialised),
            tally.liquidations,
            money(tally.liquidated_notional),
            money(run.insurance_fund),
            percent(run.calm.mean()),
            percent((run.calm.prints > 0).then_some(run.calm.initial_max)),
            run.calm_liquidations,
            percent((run.all.prints > 0).then_some(run.all.initial_max)),
        );
    }
    for run in report.runs.iter().filter(|run| run.engine.is_some()) {
        let _ = writeln!(out, "\n   {} margins in force (IM/MM):", run.name);
        let step = (run.path.len() / samples.max(1)).max(1);
        let points: Vec<String> = run
            .path
            .iter()
            .step_by(step)
            .map(|p| {
                format!(
                    "{} {:.1}/{:.1}",
                    clock(p.time_ns / 1_000_000, start),
                    p.initial * 100.0,
                    p.maintenance * 100.0
                )
            })
            .collect();
        for line in points.chunks(6) {
            let _ = writeln!(out, "     {}", line.join("   "));
        }
        if let Some(c) = run.engine {
            let _ = writeln!(
                out,
                "   engine: {} messages, {} rejects, {} filtered prints, {} triggers, {} proposals \
                 ({} applied, {} queued, {} executed, {} refused)",
                c.messages,
                c.rejects,
                c.filtered_prints,
                c.triggers,
                c.proposals,
                c.applied,
                c.queued,
                c.executed,
                c.refused,
            );
        }
    }
    out
}

/// Whether `run` ended the tape with no more bad debt than `baseline`, and what it asked in
/// calm minutes against `calm_limit`.
#[must_use]
pub fn verdict(run: &PolicyRun, baseline: &PolicyRun, calm_limit: f64) -> String {
    let debt = if run.tally.bad_debt <= baseline.tally.bad_debt {
        "no more"
    } else {
        "MORE"
    };
    let calm = match run.calm.mean() {
        Some(mean) if mean < calm_limit => format!("below {}", percent(Some(calm_limit))),
        Some(_) => format!("NOT below {}", percent(Some(calm_limit))),
        None => "no calm minute to judge".to_owned(),
    };
    format!(
        "{}: {debt} bad debt than {} ({} vs {}); calm initial margin {} ({calm})",
        run.name,
        baseline.name,
        money(run.tally.bad_debt),
        money(baseline.tally.bad_debt),
        percent(run.calm.mean()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_amounts_read_well() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        // 2020-03-13 is day 18 334.
        assert_eq!(civil_date(18_334), (2020, 3, 13));
        let day = 1_584_003_600_000; // 2020-03-12 09:00
        assert_eq!(clock(day, day), "09:00");
        assert_eq!(clock(day + 18 * 3_600_000, day), "2020-03-13 03:00");
        assert_eq!(money(1_234_567.0), "1.23 M");
        assert_eq!(money(45_600.0), "45.6 k");
        assert_eq!(money(12.4), "12");
    }
}
