//! The latency plot: percentile curves in the style of HdrHistogram's plotter (x: percentile
//! on a log scale of 1/(1−p), y: latency on a log scale), written as a self-contained SVG.
//! Hand-written: a few dozen lines of markup, where a plotting crate would bring a font stack.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use recal::pipeline::LatencyHistogram;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 520.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 260.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
/// Percentile ticks on the x axis, as "nines".
const NINES: [(f64, &str); 6] = [
    (0.0, "0%"),
    (1.0, "90%"),
    (2.0, "99%"),
    (3.0, "99.9%"),
    (4.0, "99.99%"),
    (5.0, "99.999%"),
];
const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#7f7f7f",
];

/// Writes the curves of `curves` (name, histogram in ns) to `path`.
pub fn write(path: &Path, curves: &[(String, &LatencyHistogram)], rate: f64) -> anyhow::Result<()> {
    std::fs::write(path, render(curves, rate))
        .with_context(|| format!("writing {}", path.display()))
}

/// The SVG text.
fn render(curves: &[(String, &LatencyHistogram)], rate: f64) -> String {
    let max_ns = curves
        .iter()
        .map(|(_, h)| h.histogram().max())
        .max()
        .unwrap_or(1)
        .max(10);
    let decades = (max_ns as f64).log10().ceil();
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |nines: f64| LEFT + plot_w * (nines / 5.0).clamp(0.0, 1.0);
    let y = |ns: f64| TOP + plot_h * (1.0 - (ns.max(1.0).log10() / decades).clamp(0.0, 1.0));

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="24" font-size="15">recal bench: latency by percentile (open loop, {rate:.0} msg/s, CO-corrected)</text>"#
    );
    for (nines, label) in NINES {
        let px = x(nines);
        let _ = writeln!(
            svg,
            r##"<line x1="{px}" y1="{TOP}" x2="{px}" y2="{}" stroke="#ddd"/><text x="{px}" y="{}" text-anchor="middle">{label}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 18.0
        );
    }
    for decade in 0..=decades as u32 {
        let ns = 10_f64.powi(decade as i32);
        let py = y(ns);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{py}" x2="{}" y2="{py}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            py + 4.0,
            duration_label(ns)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">percentile</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 16.0
    );
    for (index, (name, histogram)) in curves.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let points: Vec<String> = histogram
            .histogram()
            .iter_quantiles(5)
            .map(|step| {
                let quantile = step.quantile_iterated_to().min(0.999_999);
                let nines = -(1.0 - quantile).log10();
                format!("{:.1},{:.1}", x(nines), y(step.value_iterated_to() as f64))
            })
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        let legend_y = TOP + 20.0 * index as f64 + 10.0;
        let legend_x = LEFT + plot_w + 16.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{legend_x}" y1="{legend_y}" x2="{}" y2="{legend_y}" stroke="{colour}" stroke-width="3"/><text x="{}" y="{}">{}</text>"#,
            legend_x + 24.0,
            legend_x + 30.0,
            legend_y + 4.0,
            escape(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// `1 ns`, `10 µs`, `1 ms`, `1 s`.
fn duration_label(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.0} s", n / 1e9),
        n if n >= 1e6 => format!("{:.0} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.0} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
