//! `xunren` (寻人): the command line of the missing-resident tracing engine.
//!
//! Every command opens the database given by `--database-url` or `XUNREN_DATABASE_URL` (default:
//! the embedded SQLite file `xunren.db` in the working directory) and applies pending migrations
//! first, except `xunren migrate`, which manages them explicitly.

mod output;
mod tasks_cmd;
mod web_cmd;

/// Imports allocate and free a few strings per cell; mimalloc does that markedly faster than the
/// system allocator (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;
use xunren_migration::{Migrator, MigratorTrait};
use xunren_registry::import::Progress;
use xunren_registry::import::reference::{ReferenceOptions, import_reference};
use xunren_registry::import::roster::{RosterOptions, import_roster};

#[derive(Parser)]
#[command(
    name = "xunren",
    version,
    about = "寻人 — tracing residents whose registered address is out of date"
)]
struct Cli {
    /// Database URL: sqlite://FILE?mode=rwc or postgres://USER@HOST/DB.
    #[arg(long, env = "XUNREN_DATABASE_URL", default_value = xunren_registry::DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply, revert or list schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Import a roster (花名册) or reference records (参考记录) from CSV (UTF-8 or GBK) or .xlsx.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Counts of certificates, persons and lost persons per base, department, subdistrict, committee.
    Stats {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Match every lost person (失联) against the reference records; store and write candidates.
    Match {
        /// Candidates kept per person (and relatives per person).
        #[arg(long, default_value_t = 5)]
        top: usize,
        /// Write only candidates with at least this match probability.
        #[arg(long, default_value_t = 0.0)]
        min_score: f64,
        /// Where to write the candidates (standard output when absent).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = CandidateFormat::Csv)]
        format: CandidateFormat,
        /// Also write relatives and former neighbours (kind = relative).
        #[arg(long)]
        relatives: bool,
        /// Match every lost person, not only those changed since the last run.
        #[arg(long)]
        full: bool,
        /// Refit the match probabilities to these lost persons (unsupervised EM) first.
        #[arg(long)]
        refit: bool,
        /// Build the matching index from all reference records, not from the saved one (重建索引).
        #[arg(long)]
        rebuild_index: bool,
    },
    /// Link two arbitrary CSV files with a declared field mapping (no database involved).
    Link {
        /// The linkage spec (TOML): id columns, fields, comparisons, blocking, threshold.
        #[arg(long)]
        spec: PathBuf,
        a: PathBuf,
        b: PathBuf,
        /// Where to write the scored pairs (id_a,id_b,score,…).
        #[arg(long)]
        out: PathBuf,
        /// A truth file (id_a,id_b): print precision, recall and F1 at the spec's threshold.
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// Write synthetic roster, reference sources, staff, votes and truth files (deterministic by seed).
    Gen {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = xunren_synth::GenConfig::default().seed)]
        seed: u64,
        /// Property certificates (权证) in the roster.
        #[arg(long, default_value_t = 2002)]
        certificates: usize,
        /// Reference records over all sources.
        #[arg(long, default_value_t = 20_000)]
        reference: usize,
        /// Staff rows.
        #[arg(long, default_value_t = 60)]
        staff: usize,
        /// none, low, moderate, high, or a multiplier of the default rates.
        #[arg(long, default_value = "moderate")]
        noise: xunren_synth::NoiseLevel,
    },
    #[command(flatten)]
    Tasks(tasks_cmd::TasksCommand),
    #[command(flatten)]
    Web(web_cmd::WebCommand),
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply pending migrations.
    Up,
    /// Revert the last migration (or --steps N).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether they are applied.
    Status,
}

#[derive(Subcommand)]
enum ImportWhat {
    /// The expropriation office's roster: one row per person per certificate.
    Roster {
        file: PathBuf,
        /// The base (征收基地) the roster belongs to.
        #[arg(long, default_value = "default")]
        base: String,
        /// Sheet of an .xlsx workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Validate and count; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Reference records: archives of earlier redevelopments, resident registration, …
    Reference {
        file: PathBuf,
        /// The source of every row (otherwise the file needs a 来源 column).
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        sheet: Option<String>,
        /// Also remove records of the file's sources that the file no longer holds.
        #[arg(long)]
        replace: bool,
        #[arg(long)]
        dry_run: bool,
        /// Do not bring the saved matching index up to date after the import (the next
        /// `xunren match` then does it).
        #[arg(long)]
        no_index: bool,
    },
    /// Staff (工作人员): 姓名, 角色, 小组, 街道, 居委会, 技能, 容量.
    Staff {
        file: PathBuf,
        #[arg(long)]
        sheet: Option<String>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Votes (征询意见): 权证号, 轮次 (1/2), 意见 (同意/反对/弃权/废票, 已签约/未签约).
    Votes {
        file: PathBuf,
        /// The base (default: the only one).
        #[arg(long)]
        base: Option<String>,
        #[arg(long)]
        sheet: Option<String>,
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CandidateFormat {
    Csv,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    // The server logs its requests (ids and paths, never personal data); commands only warnings.
    let default_filter = match cli.command {
        Command::Web(_) => "info,sqlx=warn,sea_orm=warn",
        _ => "warn,sqlx=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Migrate { action } => migrate(&cli.database_url, action).await,
        Command::Import { what } => {
            let db = open(&cli.database_url).await?;
            import(&db, what).await
        }
        Command::Stats { format } => {
            let db = open(&cli.database_url).await?;
            let stats = xunren_registry::stats::registry_stats(&db)
                .await
                .context("reading the registry")?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&stats)?),
                Format::Table => print!("{}", output::stats_table(&stats)),
            }
            Ok(())
        }
        Command::Match {
            top,
            min_score,
            out,
            format,
            relatives,
            full,
            refit,
            rebuild_index,
        } => {
            let db = open(&cli.database_url).await?;
            if rebuild_index {
                xunren_registry::matching::forget_saved_index(&db)
                    .await
                    .context("dropping the saved matching index")?;
            }
            let options = xunren_registry::matching::MatchOptions { top, full, refit };
            run_match(&db, &options, min_score, out.as_deref(), format, relatives).await
        }
        Command::Link {
            spec,
            a,
            b,
            out,
            truth,
        } => link(&spec, &a, &b, &out, truth.as_deref()),
        Command::Gen {
            out,
            seed,
            certificates,
            reference,
            staff,
            noise,
        } => {
            let config = xunren_synth::GenConfig {
                seed,
                certificates,
                reference_records: reference,
                staff,
                noise,
                ..Default::default()
            };
            let summary = xunren_synth::generate(&config, &out)
                .with_context(|| format!("generating into {}", out.display()))?;
            print!("{}", output::gen_summary(&summary));
            Ok(())
        }
        Command::Tasks(command) => {
            let db = open(&cli.database_url).await?;
            tasks_cmd::run(&db, command).await
        }
        Command::Web(command) => web_cmd::run(&cli.database_url, command).await,
    }
}

async fn run_match(
    db: &DatabaseConnection,
    options: &xunren_registry::matching::MatchOptions,
    min_score: f64,
    out: Option<&std::path::Path>,
    format: CandidateFormat,
    relatives: bool,
) -> Result<()> {
    use xunren_registry::matching::{run_matching, stored_candidates};
    let started = std::time::Instant::now();
    let report = run_matching(db, options)
        .await
        .context("matching lost persons")?;
    let candidates = stored_candidates(db, min_score, relatives)
        .await
        .context("reading the stored candidates")?;
    let mut sink: Box<dyn std::io::Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    output::write_candidates(&mut sink, &candidates, format == CandidateFormat::Json)
        .context("writing the candidates")?;
    drop(sink);
    eprint!(
        "{}",
        output::match_summary(&report, candidates.len(), started.elapsed())
    );
    Ok(())
}

fn link(
    spec_path: &std::path::Path,
    a: &std::path::Path,
    b: &std::path::Path,
    out: &std::path::Path,
    truth: Option<&std::path::Path>,
) -> Result<()> {
    use xunren_match::link::{LinkSpec, evaluate, link_files, write_pairs_csv};
    let started = std::time::Instant::now();
    let spec = LinkSpec::from_path(spec_path)
        .with_context(|| format!("reading the spec {}", spec_path.display()))?;
    let result = link_files(&spec, a, b).context("linking")?;
    write_pairs_csv(&result.pairs, out).with_context(|| format!("writing {}", out.display()))?;
    let above = result
        .pairs
        .iter()
        .filter(|p| p.score >= spec.threshold)
        .count();
    println!(
        "{} × {} 条记录 records, 候选对 candidate pairs {}, ≥ {:.2}: {above} 对 pairs → {} ({:.3} s)",
        result.stats.records_a,
        result.stats.records_b,
        result.stats.candidate_pairs,
        spec.threshold,
        out.display(),
        started.elapsed().as_secs_f64()
    );
    if let Some(truth) = truth {
        let m = evaluate(&result.pairs, truth, spec.threshold)
            .with_context(|| format!("reading the truth {}", truth.display()))?;
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
}

async fn open(url: &str) -> Result<DatabaseConnection> {
    xunren_registry::connect(url)
        .await
        .with_context(|| format!("opening the database {}", output::redact_url(url)))
}

async fn migrate(url: &str, action: MigrateAction) -> Result<()> {
    let db = xunren_registry::connect_without_migrating(url)
        .await
        .with_context(|| format!("opening the database {}", output::redact_url(url)))?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await?,
        MigrateAction::Down { steps } => Migrator::down(&db, Some(steps)).await?,
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!("{}\t{}", migration.name(), migration.status());
            }
        }
    }
    Ok(())
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

async fn import(db: &DatabaseConnection, what: ImportWhat) -> Result<()> {
    let bar = progress_bar();
    let on_progress = |p: Progress| {
        bar.set_length(p.total_bytes);
        bar.set_position(p.bytes_read);
        bar.set_message(format!("{} 行 rows", p.rows));
    };
    let started = std::time::Instant::now();
    match what {
        ImportWhat::Roster {
            file,
            base,
            sheet,
            dry_run,
        } => {
            let options = RosterOptions {
                base,
                sheet,
                dry_run,
            };
            let report = import_roster(db, &file, &options, &on_progress).await;
            bar.finish_and_clear();
            let report =
                report.with_context(|| format!("importing the roster {}", file.display()))?;
            print!("{}", output::roster_summary(&report, started.elapsed()));
        }
        ImportWhat::Reference {
            file,
            source,
            sheet,
            replace,
            dry_run,
            no_index,
        } => {
            let options = ReferenceOptions {
                source,
                sheet,
                replace,
                dry_run,
            };
            let report = import_reference(db, &file, &options, &on_progress).await;
            bar.finish_and_clear();
            let report = report
                .with_context(|| format!("importing reference records {}", file.display()))?;
            print!("{}", output::reference_summary(&report, started.elapsed()));
            // The records changed: update the saved matching index now (extended when records were
            // only added), so that `xunren match` loads it ready instead of building it.
            if report.batch_id.is_some() && !no_index {
                let refresh = xunren_registry::matching::refresh_index(db)
                    .await
                    .context("updating the matching index")?;
                println!(
                    "匹配索引 matching index: {} 条记录 records, {} ({:.2} s)",
                    refresh.records_indexed,
                    output::index_origin(refresh.origin),
                    refresh.time.as_secs_f64()
                );
            }
        }
        ImportWhat::Staff {
            file,
            sheet,
            dry_run,
        } => {
            bar.finish_and_clear();
            tasks_cmd::import_staff(db, &file, sheet.as_deref(), dry_run).await?;
        }
        ImportWhat::Votes {
            file,
            base,
            sheet,
            dry_run,
        } => {
            bar.finish_and_clear();
            tasks_cmd::import_votes(db, &file, base.as_deref(), sheet.as_deref(), dry_run).await?;
        }
    }
    Ok(())
}
