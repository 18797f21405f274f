//! Generic linkage of two CSV files, same arguments as `xunren link`:
//! `cargo run --release -p xunren-match --example link -- --spec SPEC.toml A.csv B.csv --out pairs.csv [--truth truth.csv]`
//! Prints the figures (and precision, recall, F1 when a truth file is given) to stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use xunren_match::link::{LinkSpec, evaluate, link_files, write_pairs_csv};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut spec = None;
    let mut out = None;
    let mut truth = None;
    let mut files = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--spec" => spec = it.next().map(PathBuf::from),
            "--out" => out = it.next().map(PathBuf::from),
            "--truth" => truth = it.next().map(PathBuf::from),
            _ => files.push(PathBuf::from(a)),
        }
    }
    let (Some(spec_path), [a, b]) = (spec, files.as_slice()) else {
        eprintln!("usage: link --spec SPEC.toml A.csv B.csv [--out pairs.csv] [--truth truth.csv]");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let run = || -> Result<(), xunren_match::LinkError> {
        let spec = LinkSpec::from_path(&spec_path)?;
        let result = link_files(&spec, a, b)?;
        let linked = start.elapsed();
        if let Some(out) = &out {
            write_pairs_csv(&result.pairs, out)?;
        }
        eprintln!(
            "records {} x {}, candidate pairs {}, EM iterations {}, expected matches {:.1}, pairs >= threshold {}",
            result.stats.records_a,
            result.stats.records_b,
            result.stats.candidate_pairs,
            result.stats.em_iterations,
            result.stats.expected_matches,
            result
                .pairs
                .iter()
                .filter(|p| p.score >= spec.threshold)
                .count()
        );
        eprintln!("linkage time {:.3} s", linked.as_secs_f64());
        if let Some(truth) = &truth {
            let m = evaluate(&result.pairs, truth, spec.threshold)?;
            println!(
                "threshold {:.2}: precision {:.4} recall {:.4} F1 {:.4} (TP {} FP {} FN {})",
                m.threshold,
                m.precision,
                m.recall,
                m.f1,
                m.true_positives,
                m.false_positives,
                m.false_negatives
            );
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
