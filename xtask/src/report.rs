//! The benchmark's results: one row per figure, each with the peer it is
//! measured against in the same run, the ratio, the target it must meet
//! and the command that reproduces it. Written as a Markdown table and an
//! SVG chart of the ratios (`bench/results/`).

use anyhow::Context;
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// What a ratio (asterbot's figure over the peer's) must be.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// At most this (times, memory).
    AtMost(f64),
    /// At least this (throughput).
    AtLeast(f64),
}

impl Target {
    fn met(self, ratio: f64) -> bool {
        match self {
            Target::AtMost(limit) => ratio <= limit,
            Target::AtLeast(limit) => ratio >= limit,
        }
    }

    fn limit(self) -> f64 {
        match self {
            Target::AtMost(limit) | Target::AtLeast(limit) => limit,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::AtMost(limit) => write!(f, "≤ {limit}×"),
            Target::AtLeast(limit) => write!(f, "≥ {limit}×"),
        }
    }
}

/// One measured figure against its peer.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured.
    pub what: String,
    /// asterbot's figure, with its unit.
    pub ours: String,
    /// The peer and its figure, measured in the same run.
    pub peer: String,
    /// asterbot's figure over the peer's.
    pub ratio: f64,
    /// What the ratio must be, if anything.
    pub target: Option<Target>,
    /// The command that measures it again.
    pub reproduce: &'static str,
}

/// The rows of one benchmark run.
#[derive(Debug, Default)]
pub struct Report {
    rows: Vec<Row>,
}

impl Report {
    /// Adds a row.
    pub fn add(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// The rows whose target is missed.
    pub fn missed(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|row| row.target.is_some_and(|t| !t.met(row.ratio)))
    }

    /// The table, in Markdown, under `title` and a line of `context`.
    pub fn markdown(&self, title: &str, context: &str) -> String {
        let mut text = format!("# {title}\n\n{context}\n\n");
        text.push_str("| what | asterbot | peer (same run) | ratio | target | | reproduce |\n");
        text.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
        for row in &self.rows {
            let (target, verdict) = match row.target {
                Some(target) if target.met(row.ratio) => (target.to_string(), "pass"),
                Some(target) => (target.to_string(), "**miss**"),
                None => ("-".to_string(), ""),
            };
            let _ = writeln!(
                text,
                "| {} | {} | {} | {:.2} | {target} | {verdict} | `{}` |",
                row.what, row.ours, row.peer, row.ratio, row.reproduce
            );
        }
        text
    }

    /// Writes `results.md` and `ratios.svg` into `dir`.
    pub fn write(&self, dir: &Path, title: &str, context: &str) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("results.md"), self.markdown(title, context))?;
        self.chart(&dir.join("ratios.svg"))
            .with_context(|| format!("cannot draw {}", dir.join("ratios.svg").display()))
    }

    /// A bar per row with a target: the ratio, green when the target is
    /// met, red when not, and the target as a tick.
    fn chart(&self, file: &Path) -> anyhow::Result<()> {
        let rows: Vec<&Row> = self.rows.iter().filter(|r| r.target.is_some()).collect();
        let height = 80 + 34 * rows.len() as u32;
        let root = SVGBackend::new(file, (1000, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let widest = rows
            .iter()
            .map(|r| r.ratio.max(r.target.map_or(0.0, Target::limit)))
            .fold(1.0_f64, f64::max)
            * 1.15;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "asterbot / peer, measured in the same run (tick: target)",
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(420)
            .build_cartesian_2d(0.0..widest, (0..rows.len()).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len())
            .y_label_formatter(&|segment| match segment {
                SegmentValue::CenterOf(index) => rows
                    .get(*index)
                    .map(|row| label(&row.what))
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc("ratio")
            .draw()?;
        chart.draw_series(rows.iter().enumerate().map(|(index, row)| {
            let met = row.target.is_some_and(|t| t.met(row.ratio));
            let color = if met { GREEN.mix(0.7) } else { RED.mix(0.7) };
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(index)),
                    (row.ratio, SegmentValue::Exact(index + 1)),
                ],
                color.filled(),
            );
            bar.set_margin(5, 5, 0, 0);
            bar
        }))?;
        chart.draw_series(rows.iter().enumerate().filter_map(|(index, row)| {
            let limit = row.target?.limit();
            Some(PathElement::new(
                vec![
                    (limit, SegmentValue::Exact(index)),
                    (limit, SegmentValue::Exact(index + 1)),
                ],
                BLACK.stroke_width(3),
            ))
        }))?;
        root.present()?;
        Ok(())
    }
}

/// A row's name, short enough for the chart's axis.
fn label(what: &str) -> String {
    let plain: String = what.chars().filter(|c| *c != '`').collect();
    if plain.chars().count() > 60 {
        format!("{}…", plain.chars().take(59).collect::<String>())
    } else {
        plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ratio: f64, target: Option<Target>) -> Row {
        Row {
            what: "a turn".into(),
            ours: "1 ms".into(),
            peer: "peer: 2 ms".into(),
            ratio,
            target,
            reproduce: "cargo xtask bench",
        }
    }

    #[test]
    fn a_row_passes_or_misses_its_target_and_both_files_are_written() {
        let mut report = Report::default();
        report.add(row(0.5, Some(Target::AtMost(0.8))));
        report.add(row(0.9, Some(Target::AtMost(0.8))));
        report.add(row(0.9, Some(Target::AtLeast(1.0))));
        report.add(row(3.0, None));
        assert_eq!(report.missed().count(), 2);
        let table = report.markdown("t", "c");
        assert!(table.contains("| 0.50 | ≤ 0.8× | pass |"), "{table}");
        assert!(table.contains("| 0.90 | ≥ 1× | **miss** |"), "{table}");
        let dir = tempfile_dir();
        report.write(&dir, "t", "c").unwrap();
        let svg = std::fs::read_to_string(dir.join("ratios.svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<rect"), "{svg}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
