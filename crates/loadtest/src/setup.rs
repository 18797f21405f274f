//! Setting up what is measured: the database (a fresh SQLite file or PostgreSQL database, or one
//! given), the demo data, one staff account per staff member with open leads, and the pool the
//! server uses. None of this is measured.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sea_orm::{ConnectOptions, ConnectionTrait, Database as SeaDatabase, DatabaseConnection};
use xunren_web::account::{self, NewUser, Role};

/// Which engine the database is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn label(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }

    /// The pool size `xunren_registry::connect` gives this engine.
    pub fn registry_pool_size(self) -> u32 {
        match self {
            Engine::Sqlite => 4,
            Engine::Postgres => 16,
        }
    }
}

/// A fresh PostgreSQL database this run created on a server.
struct Fresh {
    admin_url: String,
    name: String,
}

/// The database of the run.
pub struct Database {
    /// The URL the app connects to.
    pub url: String,
    pub engine: Engine,
    /// What it is, for the report (never a password).
    pub description: String,
    _temp: Option<tempfile::TempDir>,
    fresh: Option<Fresh>,
    keep: bool,
}

/// Opens the database of the run: `url` absent — a SQLite file in a temporary directory; a
/// `sqlite:` URL — that file; a `postgres:` URL — a fresh database on that server (dropped by
/// [`Database::cleanup`] unless `keep`), or with `in_place` the database the URL names.
pub async fn open(url: Option<&str>, in_place: bool, keep: bool) -> Result<Database> {
    match url {
        None => {
            let dir = tempfile::tempdir().context("creating a temporary directory")?;
            let file = dir.path().join("load.db");
            Ok(Database {
                url: format!("sqlite://{}?mode=rwc", file.display()),
                engine: Engine::Sqlite,
                description: format!("fresh SQLite file {} (temporary)", file.display()),
                _temp: Some(dir),
                fresh: None,
                keep,
            })
        }
        Some(u) if u.starts_with("sqlite:") => Ok(Database {
            url: u.to_string(),
            engine: Engine::Sqlite,
            description: format!("SQLite {u}"),
            _temp: None,
            fresh: None,
            keep,
        }),
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
            if in_place {
                return Ok(Database {
                    url: u.to_string(),
                    engine: Engine::Postgres,
                    description: format!("PostgreSQL {} (as given)", mask_password(u)),
                    _temp: None,
                    fresh: None,
                    keep,
                });
            }
            let name = format!(
                "xunren_load_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0)
            );
            let admin = SeaDatabase::connect(u)
                .await
                .with_context(|| format!("connecting to PostgreSQL at {}", mask_password(u)))?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .with_context(|| format!("creating the database {name}"))?;
            admin.close().await.ok();
            let (without_query, query) = match u.split_once('?') {
                Some((a, q)) => (a, format!("?{q}")),
                None => (u, String::new()),
            };
            let server = without_query
                .rsplit_once('/')
                .map(|(server, _)| server)
                .unwrap_or(without_query);
            let url = format!("{server}/{name}{query}");
            Ok(Database {
                description: format!(
                    "fresh PostgreSQL database {} ({})",
                    mask_password(&url),
                    if keep { "kept" } else { "dropped at the end" }
                ),
                url,
                engine: Engine::Postgres,
                _temp: None,
                fresh: Some(Fresh {
                    admin_url: u.to_string(),
                    name,
                }),
                keep,
            })
        }
        Some(u) => bail!(
            "--database-url must be a sqlite: or postgres:// URL, not {}",
            mask_password(u)
        ),
    }
}

impl Database {
    /// Drops the fresh PostgreSQL database, if this run created one and is not to keep it.
    pub async fn cleanup(self) -> Result<()> {
        let Some(fresh) = self.fresh else {
            return Ok(());
        };
        if self.keep {
            eprintln!("kept the database: {}", mask_password(&self.url));
            return Ok(());
        }
        let admin = SeaDatabase::connect(fresh.admin_url.as_str())
            .await
            .context("connecting to PostgreSQL to drop the benchmark database")?;
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                fresh.name
            ))
            .await
            .with_context(|| format!("dropping the database {}", fresh.name))?;
        admin.close().await.ok();
        Ok(())
    }
}

/// `url` with the password, if any, replaced by `***`.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// The name of the `n`-th (from 1) load account.
pub fn account_name(n: usize) -> String {
    format!("load-{n:03}")
}

/// What [`prepare`] made.
pub struct Prepared {
    pub data: xunren_demo::DemoData,
    /// The load accounts, one per staff member with open leads.
    pub accounts: Vec<String>,
    /// Open leads of those staff members: fewest, most.
    pub leads_per_account: (i64, i64),
}

/// Fills `db` with the demo data of `config` and creates (or finds) one staff account per staff
/// member with open leads, all with `password` — at most `limit` of them (the first by staff id).
pub async fn prepare(
    db: &DatabaseConnection,
    config: &xunren_synth::GenConfig,
    password: &str,
    limit: Option<usize>,
) -> Result<Prepared> {
    let work = tempfile::tempdir().context("creating a work directory for the demo files")?;
    let started = Instant::now();
    let data = xunren_demo::prepare(db, work.path(), config, true)
        .await
        .context("preparing the demo data")?;
    eprintln!(
        "demo data: {} certificates, {} lost persons, {} cases, {} leads ({} open and assigned) in {:.1} s",
        data.certificates,
        data.lost_persons,
        data.cases,
        data.leads,
        data.assigned,
        started.elapsed().as_secs_f64()
    );

    let mut staff = xunren_tasks::staff::list(db)
        .await
        .context("listing the staff")?;
    staff.retain(|s| s.open_leads > 0);
    staff.sort_by_key(|s| s.id);
    if staff.is_empty() {
        bail!("no staff member has an open lead: nothing to load");
    }
    let with_leads = staff.len();
    if let Some(limit) = limit {
        staff.truncate(limit.max(1));
    }
    let leads_per_account = (
        staff.iter().map(|s| s.open_leads).min().unwrap_or(0),
        staff.iter().map(|s| s.open_leads).max().unwrap_or(0),
    );

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut accounts = Vec::with_capacity(staff.len());
    let mut created = 0usize;
    for (i, s) in staff.iter().enumerate() {
        let name = account_name(i + 1);
        accounts.push(name.clone());
        if account::find(db, &name)
            .await
            .with_context(|| format!("looking up the account {name}"))?
            .is_some()
        {
            continue;
        }
        created += 1;
        let db = db.clone();
        let new = NewUser {
            name,
            role: Role::Staff,
            password: password.to_string(),
            staff: Some(s.name.clone()),
            base: None,
        };
        // argon2 hashing dominates: the tasks spread it over the runtime's threads.
        tasks.spawn(async move {
            account::add_user(&db, &new)
                .await
                .with_context(|| format!("creating the account {}", new.name))
                .map(|_| ())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("an account task failed")??;
    }
    eprintln!(
        "accounts: {} staff accounts (load-001 …) of {with_leads} staff members with open leads, {created} created now, in {:.1} s",
        accounts.len(),
        started.elapsed().as_secs_f64()
    );
    drop(work);
    Ok(Prepared {
        data,
        accounts,
        leads_per_account,
    })
}

/// A pool of `max` connections on `url` with the same options as
/// `xunren_registry::connect_without_migrating` but for the size; with `async_commit`, PostgreSQL
/// sessions commit without waiting for the WAL flush (`synchronous_commit = off`).
pub async fn connect_pool(url: &str, max: u32, async_commit: bool) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    if async_commit {
        options.map_sqlx_postgres_opts(|opts| opts.options([("synchronous_commit", "off")]));
    }
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(max)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    SeaDatabase::connect(options)
        .await
        .with_context(|| format!("opening a pool of {max} on {}", mask_password(url)))
}

/// Counts the SQL statements the server runs (sea-orm's metric callback: execution time, without
/// the wait for a pooled connection).
#[derive(Default)]
pub struct QueryCounter {
    pub statements: AtomicU64,
    pub micros: AtomicU64,
    pub failed: AtomicU64,
    by_statement: Mutex<HashMap<String, (u64, u64)>>,
}

/// A reading of a [`QueryCounter`].
#[derive(Clone, Debug, Default)]
pub struct QueryReading {
    pub statements: u64,
    pub micros: u64,
    pub failed: u64,
    pub by_statement: HashMap<String, (u64, u64)>,
}

impl QueryReading {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &QueryReading) -> QueryReading {
        let by_statement = self
            .by_statement
            .iter()
            .map(|(k, (n, us))| {
                let (n0, us0) = earlier.by_statement.get(k).copied().unwrap_or((0, 0));
                (k.clone(), (n - n0, us - us0))
            })
            .filter(|(_, (n, _))| *n > 0)
            .collect();
        QueryReading {
            statements: self.statements - earlier.statements,
            micros: self.micros - earlier.micros,
            failed: self.failed - earlier.failed,
            by_statement,
        }
    }
}

impl QueryCounter {
    /// Installs a counter on `db` (before the app gets a clone of it).
    pub fn install(db: &mut DatabaseConnection) -> Arc<QueryCounter> {
        let counter = Arc::new(QueryCounter::default());
        let c = counter.clone();
        db.set_metric_callback(move |info| {
            let micros = u64::try_from(info.elapsed.as_micros()).unwrap_or(u64::MAX);
            c.statements.fetch_add(1, Ordering::Relaxed);
            c.micros.fetch_add(micros, Ordering::Relaxed);
            if info.failed {
                c.failed.fetch_add(1, Ordering::Relaxed);
            }
            let key = statement_key(&info.statement.sql);
            let mut map = c.by_statement.lock().unwrap_or_else(|e| e.into_inner());
            let entry = map.entry(key).or_default();
            entry.0 += 1;
            entry.1 += micros;
        });
        counter
    }

    pub fn read(&self) -> QueryReading {
        QueryReading {
            statements: self.statements.load(Ordering::Relaxed),
            micros: self.micros.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            by_statement: self
                .by_statement
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}

/// `SELECT leads`, `INSERT attempts`, …: the verb and the first table of a statement.
fn statement_key(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let verb = words.first().copied().unwrap_or("").to_ascii_uppercase();
    let table = words
        .windows(2)
        .find(|w| {
            let k = w[0].to_ascii_uppercase();
            k == "FROM" || k == "INTO" || (k == "UPDATE" && verb == "UPDATE")
        })
        .map(|w| {
            w[1].trim_matches(|c| c == '"' || c == '`' || c == '(')
                .to_string()
        })
        .unwrap_or_default();
    if verb == "UPDATE" {
        let table = words
            .get(1)
            .map(|t| t.trim_matches('"').to_string())
            .unwrap_or_default();
        return format!("UPDATE {table}");
    }
    format!("{verb} {table}").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_verb_and_table() {
        assert_eq!(
            statement_key(r#"SELECT "leads"."id" FROM "leads" WHERE "leads"."id" = $1"#),
            "SELECT leads"
        );
        assert_eq!(
            statement_key(r#"INSERT INTO "attempts" ("lead_id") VALUES ($1)"#),
            "INSERT attempts"
        );
        assert_eq!(
            statement_key(r#"UPDATE "cases" SET "state" = $1"#),
            "UPDATE cases"
        );
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            mask_password("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
