//! `xunren serve`, `xunren user` and `xunren demo`: the web app from the command line.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use sea_orm::DatabaseConnection;
use xunren_web::account::{self, NewUser, Role};

#[derive(Subcommand)]
pub enum WebCommand {
    /// Serve the web app and the JSON API (/api/v1) until Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Mark session cookies Secure (set this when a TLS proxy is in front).
        #[arg(long)]
        secure_cookies: bool,
        /// Escalate overdue leads every this many minutes (0: never; `xunren escalate` by hand).
        #[arg(long, default_value_t = 60)]
        escalate_every_mins: u64,
    },
    /// Accounts of the web app.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Build a demo database of the article's base (2,002 certificates, lost-contact list,
    /// reference sources, six teams), match, assign, create demo accounts and serve it.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// The demo's SQLite file (recreated from scratch).
        #[arg(long, default_value = "xunren-demo.db")]
        db: PathBuf,
        /// Password of every demo account.
        #[arg(long, default_value = "xunren2020")]
        password: String,
        /// Prepare the database and accounts, print them, and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Subcommand)]
pub enum UserAction {
    /// Create an account; the password is read from standard input (one line).
    Add {
        #[arg(long)]
        name: String,
        /// admin, supervisor, leader or staff.
        #[arg(long)]
        role: String,
        /// The staff member a staff or leader account works as.
        #[arg(long)]
        staff: Option<String>,
        /// The base a supervisor oversees (default: every base).
        #[arg(long)]
        base: Option<String>,
    },
    /// Set a new password, read from standard input.
    Passwd {
        #[arg(long)]
        name: String,
    },
    /// List the accounts.
    List,
}

/// Reads one password line from standard input (a pipe or a terminal).
fn read_password() -> Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .lock()
        .take(4096)
        .read_to_string(&mut input)
        .context("reading the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        bail!(
            "没有从标准输入读到密码 / no password on standard input (pipe it: echo … | xunren user add …)"
        );
    }
    Ok(password)
}

pub async fn run(database_url: &str, command: WebCommand) -> Result<()> {
    match command {
        WebCommand::Serve {
            addr,
            secure_cookies,
            escalate_every_mins,
        } => {
            let db = crate::open(database_url).await?;
            if escalate_every_mins > 0 {
                xunren_web::schedule::spawn_escalation(
                    db.clone(),
                    std::time::Duration::from_secs(escalate_every_mins * 60),
                );
            }
            serve(db, addr, secure_cookies).await
        }
        WebCommand::User { action } => {
            let db = crate::open(database_url).await?;
            user(&db, action).await
        }
        WebCommand::Demo {
            addr,
            db,
            password,
            no_serve,
        } => demo(addr, &db, &password, no_serve).await,
    }
}

async fn user(db: &DatabaseConnection, action: UserAction) -> Result<()> {
    match action {
        UserAction::Add {
            name,
            role,
            staff,
            base,
        } => {
            let role = Role::parse(&role)?;
            let password = read_password()?;
            let created = account::add_user(
                db,
                &NewUser {
                    name,
                    role,
                    password,
                    staff,
                    base,
                },
            )
            .await?;
            println!(
                "已创建账号 {} ({}) / account {} created ({})",
                created.name,
                role.label(),
                created.name,
                role.as_code()
            );
        }
        UserAction::Passwd { name } => {
            let password = read_password()?;
            account::set_password(db, &name, &password).await?;
            println!("已更新密码 / password changed: {name}");
        }
        UserAction::List => {
            for u in account::list(db).await? {
                println!(
                    "{}\t{}\t{}{}",
                    u.name,
                    u.role,
                    u.staff.unwrap_or_default(),
                    if u.disabled { "\tdisabled" } else { "" }
                );
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(db: DatabaseConnection, addr: SocketAddr, secure_cookies: bool) -> Result<()> {
    let config = xunren_web::Config {
        secure_cookies,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr().unwrap_or(addr);
    eprintln!("xunren serving on http://{local}/ (health: /health, API: /api/v1/openapi.json)");
    tracing::info!(%local, "serving");
    xunren_web::serve(
        listener,
        xunren_web::AppState::new(db, config),
        shutdown_signal(),
    )
    .await
    .context("serving")?;
    Ok(())
}

/// Demo account names by role: admin, supervisor1…, leader1…, staff1….
async fn demo(
    addr: SocketAddr,
    file: &std::path::Path,
    password: &str,
    no_serve: bool,
) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        let _ = std::fs::remove_file(&path);
    }
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let db = crate::open(&url).await?;
    let work = tempfile::tempdir().context("creating a work directory")?;
    eprintln!(
        "准备演示数据 / preparing the demo data in {} …",
        file.display()
    );
    let data = xunren_demo::prepare(&db, work.path(), &xunren_synth::GenConfig::default(), true)
        .await
        .context("preparing the demo data")?;
    // (account, role, staff record linked, team, staff member shown)
    type Account = (String, Role, Option<String>, Option<String>, String);
    let mut accounts: Vec<Account> =
        vec![("admin".to_string(), Role::Admin, None, None, String::new())];
    let (mut supervisors, mut leaders, mut staff) = (0, 0, 0);
    for (name, role, team) in &data.staff {
        let (user, role) = match role.as_str() {
            "supervisor" => {
                supervisors += 1;
                (format!("supervisor{supervisors}"), Role::Supervisor)
            }
            "leader" => {
                leaders += 1;
                (format!("leader{leaders}"), Role::Leader)
            }
            _ => {
                staff += 1;
                (format!("staff{staff}"), Role::Staff)
            }
        };
        let linked = (role != Role::Supervisor).then(|| name.clone());
        accounts.push((user, role, linked, team.clone(), name.clone()));
    }
    for (name, role, staff, _, _) in &accounts {
        account::add_user(
            &db,
            &NewUser {
                name: name.clone(),
                role: *role,
                password: password.to_string(),
                staff: staff.clone(),
                base: None,
            },
        )
        .await
        .with_context(|| format!("creating the demo account {name}"))?;
    }
    println!(
        "演示基地 / demo base: {} — 权证 {} certificates, 失联 {} lost persons, 个案 {} cases, 线索 {} leads ({} assigned), 候选 {} candidates",
        data.base,
        data.certificates,
        data.lost_persons,
        data.cases,
        data.leads,
        data.assigned,
        data.candidates
    );
    println!("演示账号 / demo accounts (password 密码: {password}):");
    for (name, role, _, team, shown) in &accounts {
        println!(
            "  {name:<12} {:<10} {}{}",
            role.as_code(),
            shown,
            team.as_deref()
                .map(|t| format!(" · {t}"))
                .unwrap_or_default()
        );
    }
    if no_serve {
        return Ok(());
    }
    println!("打开 / open http://{addr}/ — Ctrl-C 停止 / to stop");
    serve(db, addr, false).await
}
