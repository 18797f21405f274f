//! # xunren-loadtest
//!
//! Load benchmark of the xunren web app: `--users` signed-in staff at once, each with its own
//! HTTP client, in a loop: open 我的线索 (`GET /leads`, the HTML page), pick one of the leads on
//! it, record an attempt (phone, no trace — the lead stays open, so the loop can go on) through
//! the lead page's form (`POST /leads/{id}/attempt` with the CSRF token) or the API
//! (`POST /api/v1/leads/{id}/attempts` with `X-CSRF-Token`), in turn; a think time of 0 to
//! `--think-ms` ms (uniform) before every request. It prints the latency percentiles (p50, p90,
//! p99, max) per kind of request and overall, the errors, the throughput and the command line.
//!
//! By default it builds the data itself (the demo base of `xunren-demo` with `--staff` staff,
//! one staff account per staff member with open leads) in a fresh SQLite file, or in a fresh
//! PostgreSQL database for a `postgres://` `--database-url` (dropped at the end), and serves the
//! app in this process on 127.0.0.1: client and server then share the machine's cores. With
//! `--addr` it loads a server already running (accounts `load-001` … made by an earlier
//! `--prepare-only` run on that database).
//!
//! Setup (data, accounts, sign-in) is not measured. The exit status is 1 when any request failed.
//! See docs/bench-web.md for figures.

mod load;
mod report;
mod setup;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use load::{Plan, Stop, Via};
use setup::{QueryCounter, QueryReading};

/// Load benchmark of the xunren web app: concurrent signed-in staff opening 我的线索 and
/// recording attempts; latency percentiles and errors.
#[derive(Parser, Debug)]
#[command(name = "xunren-loadtest")]
struct Args {
    /// Database: a sqlite: URL (the file is used as it is) or a postgres:// URL (a fresh database
    /// is created on that server and dropped at the end, unless --in-place). Default: a fresh
    /// SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Use the PostgreSQL database named by --database-url itself (empty, or prepared by an
    /// earlier run) instead of a fresh one.
    #[arg(long)]
    in_place: bool,
    /// Keep the fresh PostgreSQL database at the end (its URL is printed).
    #[arg(long)]
    keep_database: bool,
    /// Concurrent signed-in staff.
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// How long the load runs (no request is started after it).
    #[arg(long, default_value_t = 30.0)]
    duration_secs: f64,
    /// Instead of a duration: iterations per user (one GET /leads and one attempt each).
    #[arg(long)]
    iterations: Option<usize>,
    /// Most think time before each request, in ms (uniform in 0..=this).
    #[arg(long, default_value_t = 200)]
    think_ms: u64,
    /// How attempts are recorded: both (form and API in turn), form or api.
    #[arg(long, value_enum, default_value_t = Via::Both)]
    via: Via,
    /// Load a server already running at this base URL (http://host:port) instead of preparing
    /// data and serving in process. Its database must hold the accounts load-001 … (see
    /// --prepare-only).
    #[arg(long)]
    addr: Option<String>,
    /// With --addr: how many accounts load-001 … exist (default: --users).
    #[arg(long)]
    accounts: Option<usize>,
    /// Prepare the data and accounts in --database-url, then exit without loading.
    #[arg(long)]
    prepare_only: bool,
    /// Staff rows of the generated data (accounts are made for those with open leads).
    #[arg(long, default_value_t = 240)]
    staff: usize,
    /// Property certificates of the generated data.
    #[arg(long, default_value_t = 2002)]
    certificates: usize,
    /// Password of the load accounts.
    #[arg(long, default_value = "load-test-password")]
    password: String,
    /// Serve from a pool of this many connections (built here with the options of
    /// xunren_registry::connect) instead of xunren_registry::connect's (4 SQLite, 16 PostgreSQL).
    #[arg(long)]
    pool_size: Option<u32>,
    /// Experiment: serve PostgreSQL from a pool whose sessions set synchronous_commit = off
    /// (commits do not wait for the WAL flush to disk).
    #[arg(long)]
    pg_async_commit: bool,
    /// Run ANALYZE on the database after preparing it (query planner statistics; without them
    /// SQLite lists a staff member's leads through the (status, due_date) index, i.e. by
    /// scanning every open lead).
    #[arg(long)]
    analyze: bool,
    /// Print the SQL statements the server ran during the load, by statement, with their time.
    #[arg(long)]
    profile: bool,
    /// Seed of the think times and lead choices.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// Sign-ins at a time during setup (each is an argon2 verification on the server).
    #[arg(long, default_value_t = 8)]
    sign_in_concurrency: usize,
    /// The p99 target in ms the verdict line compares with.
    #[arg(long, default_value_t = 100.0)]
    target_p99_ms: f64,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xunren-loadtest: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn runtime(name: &str) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(name)
        .build()
        .with_context(|| format!("starting the {name} runtime"))
}

fn run() -> Result<ExitCode> {
    let args = Args::parse();
    let command = report::command_line(std::env::args());
    if args.users == 0 {
        bail!("--users must be at least 1");
    }
    if args.duration_secs.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        && args.iterations.is_none()
    {
        bail!("--duration-secs must be positive");
    }
    // The client's runtime; the in-process server gets a runtime of its own, as if it were
    // another process on the same cores.
    let client_rt = runtime("client")?;

    if let Some(addr) = &args.addr {
        let base_url = addr.trim_end_matches('/').to_string();
        let accounts = (1..=args.accounts.unwrap_or(args.users))
            .map(setup::account_name)
            .collect();
        let header = vec![
            format!("server: {base_url} (already running; not started here)"),
            format!(
                "accounts: load-001 … ({} used in turn)",
                args.accounts.unwrap_or(args.users)
            ),
        ];
        return client_rt.block_on(measure(&args, &command, base_url, accounts, header, None));
    }

    let server_rt = runtime("server")?;
    if args.prepare_only && args.database_url.is_none() {
        bail!("--prepare-only needs --database-url (a temporary database would be lost)");
    }
    let database = server_rt.block_on(setup::open(
        args.database_url.as_deref(),
        args.in_place,
        args.keep_database || args.prepare_only,
    ))?;
    let result = in_process(&args, &command, &server_rt, &client_rt, &database);
    let cleaned = server_rt.block_on(database.cleanup());
    let code = result?;
    cleaned?;
    Ok(code)
}

/// Prepares, serves in process, loads.
fn in_process(
    args: &Args,
    command: &str,
    server_rt: &tokio::runtime::Runtime,
    client_rt: &tokio::runtime::Runtime,
    database: &setup::Database,
) -> Result<ExitCode> {
    eprintln!("database: {}", database.description);
    let (serving, prepared, counter) = server_rt.block_on(async {
        let db = xunren_registry::connect(&database.url)
            .await
            .with_context(|| {
                format!(
                    "opening and migrating {}",
                    setup::mask_password(&database.url)
                )
            })?;
        let config = xunren_synth::GenConfig {
            certificates: args.certificates,
            staff: args.staff,
            ..Default::default()
        };
        // One account per user is enough for a run; --prepare-only makes them all.
        let limit = (!args.prepare_only).then_some(args.users);
        let prepared = setup::prepare(&db, &config, &args.password, limit).await?;
        if args.analyze {
            let started = Instant::now();
            db.execute_unprepared("ANALYZE")
                .await
                .context("running ANALYZE")?;
            eprintln!("ANALYZE in {:.1} s", started.elapsed().as_secs_f64());
        }
        let custom = args.pool_size.is_some() || args.pg_async_commit;
        let mut serving: DatabaseConnection = if custom {
            db.close().await.ok();
            let size = args
                .pool_size
                .unwrap_or(database.engine.registry_pool_size());
            setup::connect_pool(&database.url, size, args.pg_async_commit).await?
        } else {
            db
        };
        let counter = QueryCounter::install(&mut serving);
        Ok::<_, anyhow::Error>((serving, prepared, counter))
    })?;
    let pool = args
        .pool_size
        .unwrap_or(database.engine.registry_pool_size());
    if args.prepare_only {
        println!(
            "prepared {} accounts load-001 … (password as given by --password) in {}",
            prepared.accounts.len(),
            setup::mask_password(&database.url)
        );
        println!(
            "serve it with: xunren --database-url '{}' serve --addr 127.0.0.1:8080",
            setup::mask_password(&database.url)
        );
        println!(
            "then: xunren-loadtest --addr http://127.0.0.1:8080 --accounts {} --users {}",
            prepared.accounts.len(),
            args.users
        );
        return Ok(ExitCode::SUCCESS);
    }

    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .context("listening on 127.0.0.1")?;
    let addr = listener.local_addr().context("the listening address")?;
    let state = xunren_web::AppState::new(serving.clone(), xunren_web::Config::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = server_rt.spawn(async move {
        xunren_web::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await
    });

    let base_url = format!("http://{addr}");
    let (fewest, most) = prepared.leads_per_account;
    let mut header = vec![
        format!(
            "server: xunren-web in this process on {base_url}; client and server share this machine's {} cores",
            cores()
        ),
        format!(
            "database: {} — pool of {pool} connections{}{}",
            database.engine.label(),
            match (args.pool_size.is_some(), args.pg_async_commit) {
                (_, true) => " (built here, synchronous_commit = off)",
                (true, false) => " (--pool-size, built here)",
                (false, false) => " (xunren_registry::connect)",
            },
            if args.analyze {
                "; ANALYZE run after preparing"
            } else {
                "; no ANALYZE (as prepared)"
            }
        ),
        format!(
            "data: {} certificates, {} cases, {} leads; {} staff accounts with {fewest}–{most} open leads each",
            prepared.data.certificates,
            prepared.data.cases,
            prepared.data.leads,
            prepared.accounts.len()
        ),
    ];
    if prepared.accounts.len() < args.users {
        header.push(format!(
            "note: {} users share {} accounts (each user has its own session)",
            args.users,
            prepared.accounts.len()
        ));
    }

    let probe_counter = counter.clone();
    let probe = client_rt.block_on(load::probe(
        &base_url,
        &prepared.accounts[0],
        &args.password,
        || probe_counter.read(),
        |a: &QueryReading, b: &QueryReading| {
            let d = b.since(a);
            let mut text = format!(
                "{} SQL statements, {:.1} ms in the database",
                d.statements,
                d.micros as f64 / 1000.0
            );
            if args.profile {
                let mut rows: Vec<_> = d.by_statement.iter().collect();
                rows.sort_by_key(|row| std::cmp::Reverse(row.1.1));
                for (key, (n, us)) in rows {
                    text.push_str(&format!(
                        "\n      {key:<30} ×{n:<3} {:>7.2} ms",
                        *us as f64 / 1000.0
                    ));
                }
            }
            text
        },
    ));
    match probe {
        Ok(lines) => {
            header.push("one request alone (one user, nothing else running):".to_string());
            for (kind, micros, cost) in lines {
                header.push(format!(
                    "  {:<34} {:>6.1} ms, {cost}",
                    kind.label(),
                    micros as f64 / 1000.0
                ));
            }
        }
        Err(e) => header.push(format!("probe failed: {e:#}")),
    }

    let result = client_rt.block_on(measure(
        args,
        command,
        base_url,
        prepared.accounts.clone(),
        header,
        Some(counter),
    ));

    let _ = stop.send(());
    match server_rt.block_on(server) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("the server ended with an error: {e}"),
        Err(e) => eprintln!("the server task failed: {e}"),
    }
    server_rt.block_on(serving.close()).ok();
    result
}

/// Signs in, loads, prints the report.
async fn measure(
    args: &Args,
    command: &str,
    base_url: String,
    accounts: Vec<String>,
    header: Vec<String>,
    counter: Option<Arc<QueryCounter>>,
) -> Result<ExitCode> {
    let stop = match args.iterations {
        Some(n) => Stop::Iterations(n),
        None => Stop::After(Duration::from_secs_f64(args.duration_secs)),
    };
    let plan = Plan {
        base_url,
        accounts,
        password: args.password.clone(),
        users: args.users,
        stop,
        think_max: Duration::from_millis(args.think_ms),
        via: args.via,
        seed: args.seed,
        sign_in_concurrency: args.sign_in_concurrency,
    };
    let load_before = report::loadavg();
    let (stop_sampling, sampling) = tokio::sync::watch::channel(false);
    let sampler = report::sample_load(sampling);
    let cpu_before = report::Cpu::now();
    let queries_before = counter.as_ref().map(|c| c.read());
    let started = Instant::now();
    // Sign-in is inside `run` but not in the samples; CPU and statements below include it.
    let outcome = load::run(plan).await?;
    let total = started.elapsed();
    let cpu_after = report::Cpu::now();
    let queries = match (&counter, &queries_before) {
        (Some(c), Some(before)) => Some(c.read().since(before)),
        _ => None,
    };
    let _ = stop_sampling.send(true);
    let load_samples = sampler.await.unwrap_or_default();
    let load_after = report::loadavg();

    println!("xunren-loadtest");
    println!("command: {command}");
    println!(
        "reproduce: cargo run --release -p xunren-loadtest -- {}",
        command.split_once(' ').map(|(_, rest)| rest).unwrap_or("")
    );
    for line in &header {
        println!("{line}");
    }
    println!(
        "load: {} users, {}, think time 0–{} ms (uniform) before every request, attempts via {:?} (phone, no_trace)",
        args.users,
        match stop {
            Stop::After(d) => format!("{:.0} s", d.as_secs_f64()),
            Stop::Iterations(n) => format!("{n} iterations each"),
        },
        args.think_ms,
        args.via
    );
    println!(
        "setup not measured: sign-in of {} users took {:.1} s; measured span {:.1} s",
        args.users,
        outcome.sign_in.as_secs_f64(),
        outcome.elapsed.as_secs_f64()
    );
    let fmt_load = |l: Option<(f64, f64, f64)>| {
        l.map(|(a, b, c)| format!("{a:.2} {b:.2} {c:.2}"))
            .unwrap_or_else(|| "n/a".to_string())
    };
    let peak = load_samples.iter().copied().fold(f64::NAN, f64::max);
    println!(
        "machine: {} cores; load average before {}, after {}, 1-min peak during {}",
        cores(),
        fmt_load(load_before),
        fmt_load(load_after),
        if peak.is_nan() {
            "n/a".to_string()
        } else {
            format!("{peak:.2}")
        }
    );
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        let (busy, own) = b.since(&a);
        println!(
            "cpu over {:.1} s (sign-in + load): machine {:.0}% busy, this process {:.0}% of the machine, everything else {:.0}% (a separate server, the PostgreSQL server, other jobs)",
            total.as_secs_f64(),
            busy * 100.0,
            own * 100.0,
            (busy - own).max(0.0) * 100.0
        );
    }
    println!();
    let all = report::print_table(&outcome);
    report::print_slow_seconds(&outcome, (args.target_p99_ms * 1000.0) as u64);
    if let Some(q) = &queries {
        let requests = outcome.samples.len().max(1) as f64;
        println!();
        println!(
            "server SQL during sign-in + load: {} statements ({} failed), {:.1} per measured request, {:.2} ms database time per measured request (execution only, not the wait for a pooled connection)",
            q.statements,
            q.failed,
            q.statements as f64 / requests,
            q.micros as f64 / 1000.0 / requests
        );
        if args.profile {
            let mut rows: Vec<_> = q.by_statement.iter().collect();
            rows.sort_by_key(|row| std::cmp::Reverse(row.1.1));
            println!(
                "{:<40} {:>10} {:>12} {:>10}",
                "statement", "count", "total ms", "mean ms"
            );
            for (key, (n, us)) in rows.into_iter().take(15) {
                println!(
                    "{:<40} {:>10} {:>12.1} {:>10.3}",
                    key,
                    n,
                    *us as f64 / 1000.0,
                    *us as f64 / 1000.0 / (*n).max(1) as f64
                );
            }
        }
    }
    println!();
    let p99_ms = all.p99 as f64 / 1000.0;
    let met = all.errors == 0 && all.requests > 0 && p99_ms <= args.target_p99_ms;
    println!(
        "target p99 ≤ {} ms and zero errors: {} (p99 {p99_ms:.1} ms, {} errors of {} requests)",
        args.target_p99_ms,
        if met { "MET" } else { "NOT MET" },
        all.errors,
        all.requests
    );
    if all.requests == 0 || all.errors > 0 {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
