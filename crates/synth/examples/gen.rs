//! Generates a data set and reports how long it took.
//!
//! `cargo run --release -p xunren-synth --example gen -- SEED OUT_DIR [REFERENCE_RECORDS]`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use xunren_synth::{GenConfig, generate};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("用法 / usage: gen SEED OUT_DIR [REFERENCE_RECORDS]");
        return ExitCode::from(2);
    }
    let Ok(seed) = args[0].parse::<u64>() else {
        eprintln!("种子无效 / invalid seed: {}", args[0]);
        return ExitCode::from(2);
    };
    let out = PathBuf::from(&args[1]);
    let mut config = GenConfig {
        seed,
        ..GenConfig::default()
    };
    if let Some(n) = args.get(2) {
        match n.replace('_', "").parse::<usize>() {
            Ok(n) => config.reference_records = n,
            Err(_) => {
                eprintln!("记录数无效 / invalid record count: {n}");
                return ExitCode::from(2);
            }
        }
    }
    let start = Instant::now();
    match generate(&config, &out) {
        Ok(summary) => {
            let elapsed = start.elapsed();
            println!(
                "roster: {} rows ({} certificates {:?}, {} persons, {} lost, {} with a true record)",
                summary.roster.rows,
                summary.certificates,
                summary.certificates_by_group,
                summary.persons,
                summary.lost_persons,
                summary.lost_with_true_record
            );
            for (name, f) in &summary.references {
                println!("{name}: {} rows -> {}", f.rows, f.path.display());
            }
            println!(
                "truth: {} rows; staff: {} rows",
                summary.truth.rows, summary.staff.rows
            );
            println!(
                "reference records: {}; time: {:.2?}",
                summary.reference_records(),
                elapsed
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
