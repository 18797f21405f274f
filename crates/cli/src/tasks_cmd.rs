//! The workflow commands (xunren-tasks): assignment, staff, cases, leads and attempts, votes,
//! deadlines and supervisor reports. Parsing and printing only: the work is in `xunren_tasks`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use sea_orm::DatabaseConnection;
use xunren_tasks::Actor;
use xunren_tasks::code::{
    AttemptMethod, AttemptResult, CaseState, LeadKind, LeadOutcome, Opinion, StaffRole, split_list,
};
use xunren_tasks::lead::{LeadSummary, NewAttempt, NewLead};
use xunren_tasks::report::{self, ReportTable};
use xunren_tasks::{assign, case, deadline, lead, staff, vote};

/// Output format of lists and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    Table,
    Csv,
    Xlsx,
    Json,
}

impl From<OutFormat> for report::Format {
    fn from(f: OutFormat) -> Self {
        match f {
            OutFormat::Table => report::Format::Table,
            OutFormat::Csv => report::Format::Csv,
            OutFormat::Xlsx => report::Format::Xlsx,
            OutFormat::Json => report::Format::Json,
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct Output {
    /// table, csv, xlsx (needs --out) or json.
    #[arg(long, value_enum, default_value_t = OutFormat::Table)]
    format: OutFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct By {
    /// Who acts (a staff name); recorded in the audit log.
    #[arg(long = "by", env = "XUNREN_STAFF")]
    by: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum TasksCommand {
    /// Open a case per lost person, turn matcher candidates into leads, assign every unassigned lead.
    Assign {
        #[arg(long)]
        base: Option<String>,
        /// A lead may relax one more level of the rules after waiting this many hours (0: at once).
        #[arg(long, default_value_t = 0)]
        relax_after_hours: i64,
        /// Print every decision and its reason.
        #[arg(long)]
        verbose: bool,
        #[command(flatten)]
        by: By,
    },
    /// Staff (工作人员): add, change, leave, back, list.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// Cases (个案): list, show, move to a state, stuck.
    Case {
        #[command(subcommand)]
        action: CaseAction,
    },
    /// Leads (线索) and attempts (走访记录): mine, pool, show, add, attempt, close, spawn, claim, release, reassign.
    Lead {
        #[command(subcommand)]
        action: LeadAction,
    },
    /// Supervisor reports.
    Report {
        #[command(subcommand)]
        what: ReportWhat,
    },
    /// Escalate overdue leads: to the team leader, then (after --grace-days) to a supervisor.
    Escalate {
        /// The day to judge by (default today).
        #[arg(long)]
        today: Option<xunren_tasks::chrono::NaiveDate>,
        #[arg(long, default_value_t = xunren_tasks::deadline::DEFAULT_GRACE_DAYS)]
        grace_days: i64,
    },
    /// The daily digest (每日提醒): overdue, due soon and escalated leads per staff member.
    Digest {
        /// Only this staff member.
        #[arg(long)]
        staff: Option<String>,
        #[arg(long)]
        today: Option<xunren_tasks::chrono::NaiveDate>,
        /// Days ahead counted as due soon.
        #[arg(long, default_value_t = 3)]
        days: i64,
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// Base settings: thresholds (shares, e.g. 0.9) and round dates.
    Base {
        name: String,
        #[arg(long)]
        round1_threshold: Option<f64>,
        #[arg(long)]
        round2_threshold: Option<f64>,
        /// How the thresholds are read: at-least (≥, 达到; the default) or more-than (>, 超过).
        #[arg(long)]
        threshold_rule: Option<String>,
        #[arg(long)]
        round1_date: Option<xunren_tasks::chrono::NaiveDate>,
        #[arg(long)]
        round2_start: Option<xunren_tasks::chrono::NaiveDate>,
        #[arg(long)]
        round2_end: Option<xunren_tasks::chrono::NaiveDate>,
    },
    /// Record one certificate's vote (同意/反对/弃权/废票, 已签约/未签约).
    Vote {
        cert_no: String,
        opinion: String,
        #[arg(long)]
        base: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum StaffAction {
    /// Add a staff member (lists: several values separated by 、 or ;).
    Add {
        name: String,
        /// 联络员/居委干部/征收所工作人员/组长/督导 or liaison/cadre/office/leader/supervisor.
        #[arg(long)]
        role: String,
        #[arg(long)]
        team: Option<String>,
        #[arg(long, default_value = "")]
        subdistricts: String,
        #[arg(long, default_value = "")]
        committees: String,
        #[arg(long, default_value = "")]
        skills: String,
        #[arg(long)]
        capacity: i32,
    },
    /// Change fields of a staff member.
    Change {
        name: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        subdistricts: Option<String>,
        #[arg(long)]
        committees: Option<String>,
        #[arg(long)]
        skills: Option<String>,
        #[arg(long)]
        capacity: Option<i32>,
    },
    /// Put on leave (请假): their open leads are reassigned by the rules.
    Leave {
        name: String,
        #[command(flatten)]
        by: By,
    },
    /// Back from leave (回岗).
    Back { name: String },
    /// Every staff member with their load.
    List {
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Subcommand, Debug)]
pub enum CaseAction {
    /// Cases, optionally in one state.
    List {
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// A case with its person (masked), leads and audit log.
    Show {
        id: i32,
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// Move a case to a state (closing and reopening need --note, the reason).
    Move {
        id: i32,
        /// tracing/located/contacted/deceased/abroad/refuses/untraceable or the Chinese label.
        state: String,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        by: By,
    },
    /// Unresolved cases without an open lead.
    Stuck,
}

#[derive(Subcommand, Debug)]
pub enum LeadAction {
    /// My open leads (--by NAME or XUNREN_STAFF), earliest due first.
    Mine {
        #[command(flatten)]
        by: By,
        #[command(flatten)]
        output: Output,
    },
    /// Unassigned open leads, to claim.
    Pool {
        #[command(flatten)]
        output: Output,
    },
    /// A lead with its person, candidate, attempts and chain.
    Show {
        id: i32,
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// Add a lead to a case (assigned by the rules unless --pool).
    Add {
        case_id: i32,
        /// candidate/address/committee/relative/phone/police or the Chinese label.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        detail: String,
        #[arg(long, default_value = "")]
        skills: String,
        #[arg(long)]
        due: Option<xunren_tasks::chrono::NaiveDate>,
        /// Leave it unassigned, for staff to claim.
        #[arg(long)]
        pool: bool,
        #[command(flatten)]
        by: By,
    },
    /// Record an attempt (走访).
    Attempt {
        id: i32,
        /// 上门/电话/信函/居委会协查/亲属转告/派出所协查 or visit/phone/letter/committee/relative/police.
        #[arg(long)]
        method: String,
        /// 联系上/获得线索/无果/拒绝 or reached/new_info/no_trace/refused.
        #[arg(long)]
        result: String,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        next: Option<String>,
        /// When it happened (RFC 3339, e.g. 2026-11-27T10:00:00+08:00); default now.
        #[arg(long)]
        at: Option<xunren_tasks::chrono::DateTime<xunren_tasks::chrono::FixedOffset>>,
        #[command(flatten)]
        by: By,
    },
    /// Close a lead (needs an attempt), spawning follow-ups: --spawn committee:原居委会 …
    Close {
        id: i32,
        /// reached/located/new_info/dead_end or the Chinese label.
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        note: Option<String>,
        /// KIND:DETAIL, repeatable.
        #[arg(long)]
        spawn: Vec<String>,
        #[command(flatten)]
        by: By,
    },
    /// Spawn a follow-up of a lead (the lead stays as it is).
    Spawn {
        id: i32,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        detail: String,
        #[command(flatten)]
        by: By,
    },
    /// Claim an unassigned lead.
    Claim {
        id: i32,
        #[command(flatten)]
        by: By,
    },
    /// Release a lead back to the pool.
    Release {
        id: i32,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        by: By,
    },
    /// Reassign a lead by hand.
    Reassign {
        id: i32,
        #[arg(long)]
        to: String,
        #[arg(long)]
        note: String,
        #[command(flatten)]
        by: By,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Grouping {
    Subdistrict,
    Committee,
    Team,
    Staff,
}

#[derive(Subcommand, Debug)]
pub enum ReportWhat {
    /// The consultation table (部门/街道/权证数/同意/反对/弃权/废票/同意率) and the gap to the threshold.
    Consultation {
        #[arg(long)]
        base: Option<String>,
        #[arg(long, default_value_t = 1)]
        round: i32,
        #[command(flatten)]
        output: Output,
    },
    /// Unresolved cases by subdistrict, committee, team or staff member.
    Unresolved {
        #[arg(long)]
        base: Option<String>,
        #[arg(long = "by", value_enum, default_value_t = Grouping::Subdistrict)]
        group: Grouping,
        #[arg(long)]
        today: Option<xunren_tasks::chrono::NaiveDate>,
        #[command(flatten)]
        output: Output,
    },
    /// Staff load: open leads against capacity, overdue, attempts, results.
    Staff {
        #[arg(long)]
        today: Option<xunren_tasks::chrono::NaiveDate>,
        #[command(flatten)]
        output: Output,
    },
    /// Overdue leads per staff member.
    Overdue {
        #[arg(long)]
        today: Option<xunren_tasks::chrono::NaiveDate>,
        #[command(flatten)]
        output: Output,
    },
    /// Resolved per day and remaining; median time to locate.
    Burndown {
        #[arg(long)]
        base: Option<String>,
        #[arg(long)]
        today: Option<xunren_tasks::chrono::NaiveDate>,
        #[arg(long, default_value_t = 60)]
        days: usize,
        #[command(flatten)]
        output: Output,
    },
    /// Certificates blocked by a lost holder, and the gap to the threshold.
    Blocked {
        #[arg(long)]
        base: Option<String>,
        #[arg(long, default_value_t = 1)]
        round: i32,
        #[command(flatten)]
        output: Output,
    },
}

async fn actor(db: &DatabaseConnection, by: &By) -> Result<Actor> {
    match &by.by {
        Some(name) => Actor::by_name(db, name)
            .await
            .with_context(|| format!("--by {name}")),
        None => Ok(Actor::system()),
    }
}

async fn staff_actor(db: &DatabaseConnection, by: &By) -> Result<Actor> {
    if by.by.is_none() {
        bail!("需要 --by 姓名 (或 XUNREN_STAFF) / --by NAME (or XUNREN_STAFF) is required");
    }
    actor(db, by).await
}

fn today(given: Option<xunren_tasks::chrono::NaiveDate>) -> xunren_tasks::chrono::NaiveDate {
    given.unwrap_or_else(|| xunren_tasks::chrono::Local::now().date_naive())
}

fn emit(bytes: &[u8], out: Option<&Path>, format: OutFormat) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("已写入 written: {}", path.display());
        }
        None if format == OutFormat::Xlsx => {
            bail!("xlsx 需要 --out 文件 / xlsx needs --out FILE")
        }
        None => std::io::stdout().write_all(bytes)?,
    }
    Ok(())
}

/// Prints a report: typed JSON for json, the table otherwise.
fn show<T: xunren_tasks::Serialize>(value: &T, table: &ReportTable, output: &Output) -> Result<()> {
    let bytes = match output.format {
        OutFormat::Json => {
            let mut v = serde_json::to_vec_pretty(value)?;
            v.push(b'\n');
            v
        }
        f => table.render(f.into())?,
    };
    emit(&bytes, output.out.as_deref(), output.format)
}

fn lead_table(title: &str, leads: &[LeadSummary]) -> ReportTable {
    let mut table = ReportTable {
        title: title.to_string(),
        headers: [
            "线索", "个案", "上级", "类型", "内容", "状态", "期限", "升级",
        ]
        .map(String::from)
        .to_vec(),
        ..Default::default()
    };
    for l in leads {
        table.rows.push(vec![
            format!("#{}", l.id),
            format!("#{}", l.case_id),
            l.parent_lead_id
                .map(|p| format!("#{p}"))
                .unwrap_or_default(),
            l.kind_label.clone(),
            l.detail.clone(),
            l.outcome.clone().unwrap_or_else(|| l.status.clone()),
            l.due_date.map(|d| d.to_string()).unwrap_or_default(),
            l.escalation_level.to_string(),
        ]);
    }
    table
}

/// `xunren import staff`.
pub async fn import_staff(
    db: &DatabaseConnection,
    file: &Path,
    sheet: Option<&str>,
    dry_run: bool,
) -> Result<()> {
    let r = staff::import_staff(db, file, sheet, dry_run)
        .await
        .with_context(|| format!("importing staff {}", file.display()))?;
    println!(
        "{}: {} 行 rows; 新增 added {}, 变更 changed {}, 未变 unchanged {}{}",
        r.file,
        r.rows,
        r.added,
        r.changed,
        r.unchanged,
        if r.dry_run {
            " (试运行 dry run)"
        } else {
            ""
        }
    );
    if !r.unknown_columns.is_empty() {
        println!(
            "未识别的列 unknown columns: {}",
            r.unknown_columns.join(", ")
        );
    }
    Ok(())
}

/// `xunren import votes`.
pub async fn import_votes(
    db: &DatabaseConnection,
    file: &Path,
    base: Option<&str>,
    sheet: Option<&str>,
    dry_run: bool,
) -> Result<()> {
    let r = vote::import_votes(db, file, base, sheet, dry_run)
        .await
        .with_context(|| format!("importing votes {}", file.display()))?;
    println!(
        "{} → {}: {} 行 rows; 新增 added {}, 变更 changed {}, 未变 unchanged {}{}",
        r.file,
        r.base,
        r.rows,
        r.added,
        r.changed,
        r.unchanged,
        if r.dry_run {
            " (试运行 dry run)"
        } else {
            ""
        }
    );
    Ok(())
}

fn parse_spawn(text: &str) -> Result<(LeadKind, String)> {
    let Some((kind, detail)) = text.split_once([':', '：']) else {
        bail!("--spawn 须为 类型:内容 / --spawn must be KIND:DETAIL, not {text:?}");
    };
    Ok((LeadKind::parse(kind)?, detail.trim().to_string()))
}

pub async fn run(db: &DatabaseConnection, command: TasksCommand) -> Result<()> {
    match command {
        TasksCommand::Assign {
            base,
            relax_after_hours,
            verbose,
            by,
        } => {
            let actor = actor(db, &by).await?;
            let base_id = match base {
                Some(name) => Some(vote::find_base(db, &name).await?.id),
                None => None,
            };
            let options = assign::AssignOptions {
                relax_after: xunren_tasks::chrono::Duration::hours(relax_after_hours.max(0)),
                now: xunren_tasks::chrono::Utc::now(),
            };
            let started = std::time::Instant::now();
            let r = assign::run(db, base_id, &options, &actor)
                .await
                .context("assigning")?;
            println!(
                "新开个案 cases opened {}, 候选线索 candidate leads {}, 已分派 assigned {} (各级 by level {:?}), 待分派 waiting {} ({:.3} s)",
                r.opened_cases,
                r.candidate_leads,
                r.assigned,
                r.by_level,
                r.unassigned,
                started.elapsed().as_secs_f64()
            );
            if verbose {
                for d in &r.decisions {
                    println!("#{} → {}: {}", d.lead_id, d.staff, d.reason);
                }
            }
        }
        TasksCommand::Staff { action } => match action {
            StaffAction::Add {
                name,
                role,
                team,
                subdistricts,
                committees,
                skills,
                capacity,
            } => {
                let input = staff::StaffInput {
                    name,
                    role: StaffRole::parse(&role)?,
                    team,
                    subdistricts: split_list(&subdistricts),
                    committees: split_list(&committees),
                    skills: split_list(&skills),
                    capacity,
                };
                let m = staff::add(db, &input).await.context("adding staff")?;
                println!("已添加 added #{} {}", m.id, m.name);
            }
            StaffAction::Change {
                name,
                role,
                team,
                subdistricts,
                committees,
                skills,
                capacity,
            } => {
                let change = staff::StaffChange {
                    role: role.as_deref().map(StaffRole::parse).transpose()?,
                    team,
                    subdistricts: subdistricts.as_deref().map(split_list),
                    committees: committees.as_deref().map(split_list),
                    skills: skills.as_deref().map(split_list),
                    capacity,
                };
                let m = staff::change(db, &name, &change)
                    .await
                    .context("changing staff")?;
                println!("已更新 changed #{} {}", m.id, m.name);
            }
            StaffAction::Leave { name, by } => {
                let actor = actor(db, &by).await?;
                let r = staff::put_on_leave(db, &name, &actor)
                    .await
                    .context("putting on leave")?;
                println!(
                    "{name} 请假 on leave: 改派 reassigned {}, 退回待认领 back to the pool {}",
                    r.reassigned, r.unassigned
                );
            }
            StaffAction::Back { name } => {
                staff::put_back(db, &name)
                    .await
                    .context("back from leave")?;
                println!("{name} 回岗 back");
            }
            StaffAction::List { output } => {
                let rows = staff::list(db).await?;
                let mut table = ReportTable {
                    title: "工作人员 staff".to_string(),
                    headers: [
                        "姓名",
                        "角色",
                        "小组",
                        "街道",
                        "居委会",
                        "技能",
                        "在办/容量",
                        "状态",
                    ]
                    .map(String::from)
                    .to_vec(),
                    ..Default::default()
                };
                for s in &rows {
                    table.rows.push(vec![
                        s.name.clone(),
                        StaffRole::parse(&s.role).map_or(s.role.clone(), |r| r.label().into()),
                        s.team.clone().unwrap_or_default(),
                        s.subdistricts.replace(';', "、"),
                        s.committees.replace(';', "、"),
                        s.skills.replace(';', "、"),
                        format!("{}/{}", s.open_leads, s.capacity),
                        s.status.clone(),
                    ]);
                }
                show(&rows, &table, &output)?;
            }
        },
        TasksCommand::Case { action } => match action {
            CaseAction::List { state, output } => {
                let state = state.as_deref().map(CaseState::parse).transpose()?;
                let cases = case::list(db, state).await?;
                let mut table = ReportTable {
                    title: "个案 cases".to_string(),
                    headers: ["个案", "人员", "状态", "开案", "找到", "结案原因"]
                        .map(String::from)
                        .to_vec(),
                    ..Default::default()
                };
                for c in &cases {
                    table.rows.push(vec![
                        format!("#{}", c.id),
                        format!("#{}", c.person_id),
                        c.state_label.clone(),
                        c.opened_at.date_naive().to_string(),
                        c.located_at
                            .map(|d| d.date_naive().to_string())
                            .unwrap_or_default(),
                        c.closing_reason.clone().unwrap_or_default(),
                    ]);
                }
                show(&cases, &table, &output)?;
            }
            CaseAction::Show { id, format } => {
                let v = case::view(db, id)
                    .await
                    .with_context(|| format!("case #{id}"))?;
                if format == OutFormat::Json {
                    let mut v = serde_json::to_value(&v)?;
                    mask_person(&mut v["person"]);
                    println!("{}", serde_json::to_string_pretty(&v)?);
                } else {
                    println!(
                        "个案 case #{} — {}{}",
                        v.case.id,
                        v.case.state_label,
                        if v.stuck {
                            " (卡住 stuck: 无在办线索 no open lead)"
                        } else {
                            ""
                        }
                    );
                    if let Some(p) = &v.person {
                        println!(
                            "{} 权证 {} {} {} {}",
                            p.masked_name(),
                            p.cert_no,
                            p.subdistrict.clone().unwrap_or_default(),
                            p.committee.clone().unwrap_or_default(),
                            p.phones
                                .as_deref()
                                .map(xunren_domain::mask_phone)
                                .unwrap_or_default()
                        );
                        if let Some(at) = p.removed_at {
                            println!(
                                "已移出名单 removed from the roster {}: 个案与记录保留 the case and its history are kept",
                                at.format("%Y-%m-%d")
                            );
                        }
                    }
                    print!("{}", lead_table("线索 leads", &v.leads).text());
                    println!("记录 audit log:");
                    for e in &v.events {
                        println!(
                            "  {} {} {}{}{}",
                            e.at.format("%Y-%m-%d %H:%M"),
                            e.actor,
                            e.kind,
                            match (&e.from, &e.to) {
                                (Some(f), Some(t)) => format!(" {f} → {t}"),
                                (None, Some(t)) => format!(" → {t}"),
                                _ => String::new(),
                            },
                            e.note
                                .as_ref()
                                .map(|n| format!(" ({n})"))
                                .unwrap_or_default()
                        );
                    }
                }
            }
            CaseAction::Move {
                id,
                state,
                note,
                by,
            } => {
                let actor = actor(db, &by).await?;
                let m =
                    case::transition(db, id, CaseState::parse(&state)?, note.as_deref(), &actor)
                        .await
                        .with_context(|| format!("case #{id}"))?;
                println!("个案 case #{} → {}", m.id, m.state);
            }
            CaseAction::Stuck => {
                let ids = case::stuck_cases(db).await?;
                println!(
                    "卡住 stuck ({}): {}",
                    ids.len(),
                    ids.iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
        },
        TasksCommand::Lead { action } => lead_action(db, action).await?,
        TasksCommand::Report { what } => report_cmd(db, what).await?,
        TasksCommand::Escalate {
            today: day,
            grace_days,
        } => {
            let r = deadline::escalate(db, today(day), grace_days, &Actor::system())
                .await
                .context("escalating")?;
            println!(
                "升级至组长 to team leaders {}, 升级至督导 to supervisors {}",
                r.to_leader, r.to_supervisor
            );
        }
        TasksCommand::Digest {
            staff: who,
            today: day,
            days,
            format,
        } => {
            let only = match who {
                Some(name) => Some(staff::find_by_name(db, &name).await?.id),
                None => None,
            };
            let digests = deadline::digest(db, today(day), days, only).await?;
            if format == OutFormat::Json {
                println!("{}", serde_json::to_string_pretty(&digests)?);
            } else {
                for d in &digests {
                    println!(
                        "== {} — 逾期 overdue {}, 即将到期 due soon {}, 升级给您 escalated to you {}",
                        d.staff,
                        d.overdue.len(),
                        d.due_soon.len(),
                        d.escalated.len()
                    );
                    for (title, leads) in [
                        ("逾期 overdue", &d.overdue),
                        ("即将到期 due soon", &d.due_soon),
                        ("升级 escalated", &d.escalated),
                    ] {
                        if !leads.is_empty() {
                            print!("{}", lead_table(title, leads).text());
                        }
                    }
                }
            }
        }
        TasksCommand::Base {
            name,
            round1_threshold,
            round2_threshold,
            threshold_rule,
            round1_date,
            round2_start,
            round2_end,
        } => {
            let threshold_rule = threshold_rule
                .as_deref()
                .map(xunren_tasks::code::ThresholdRule::parse)
                .transpose()?;
            let settings = vote::BaseSettings {
                round1_threshold,
                round2_threshold,
                threshold_rule,
                round1_date,
                round2_start,
                round2_end,
            };
            let b = vote::configure_base(db, &name, &settings).await?;
            let sign = xunren_tasks::code::ThresholdRule::parse(&b.threshold_rule)?.sign();
            println!(
                "{}: 一轮 round 1 {:?} {sign} {}, 二轮 round 2 {:?}–{:?} {sign} {}",
                b.name,
                b.round1_date,
                b.round1_threshold,
                b.round2_start,
                b.round2_end,
                b.round2_threshold
            );
        }
        TasksCommand::Vote {
            cert_no,
            opinion,
            base,
        } => {
            let base = vote::resolve_base(db, base.as_deref()).await?;
            let v = vote::record(db, base.id, &cert_no, Opinion::parse(&opinion)?).await?;
            println!(
                "{cert_no}: 第 {} 轮 round {} {}",
                v.round, v.round, v.opinion
            );
        }
    }
    Ok(())
}

/// Masks the name and phones of a person in JSON output.
fn mask_person(person: &mut serde_json::Value) {
    if let Some(name) = person
        .get("name")
        .and_then(|n| n.as_str())
        .map(xunren_domain::mask_name)
    {
        person["name"] = name.into();
    }
    if let Some(phones) = person
        .get("phones")
        .and_then(|n| n.as_str())
        .map(xunren_domain::mask_phone)
    {
        person["phones"] = phones.into();
    }
}

async fn lead_action(db: &DatabaseConnection, action: LeadAction) -> Result<()> {
    match action {
        LeadAction::Mine { by, output } => {
            let me = staff_actor(db, &by).await?;
            let leads = lead::my_leads(db, me.id.unwrap_or_default()).await?;
            show(
                &leads,
                &lead_table(&format!("{} 的线索 leads", me.name), &leads),
                &output,
            )?;
        }
        LeadAction::Pool { output } => {
            let leads = lead::pool(db).await?;
            show(&leads, &lead_table("待认领 pool", &leads), &output)?;
        }
        LeadAction::Show { id, format } => {
            let v = lead::view(db, id)
                .await
                .with_context(|| format!("lead #{id}"))?;
            if format == OutFormat::Json {
                let mut v = serde_json::to_value(&v)?;
                mask_person(&mut v["person"]);
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            println!(
                "线索 lead #{} ({}) 个案 case #{} [{}] — {}",
                v.lead.id, v.lead.kind_label, v.lead.case_id, v.case_state, v.detail
            );
            println!(
                "负责 assignee: {} — {}",
                v.assignee.clone().unwrap_or_else(|| "(待认领 pool)".into()),
                v.lead.assignment_reason.clone().unwrap_or_default()
            );
            println!(
                "状态 status: {}{}, 期限 due {}",
                v.lead.status,
                v.lead
                    .outcome
                    .as_ref()
                    .map(|o| format!(" ({o})"))
                    .unwrap_or_default(),
                v.lead.due_date.map(|d| d.to_string()).unwrap_or_default()
            );
            if let Some(p) = &v.person {
                println!(
                    "人员 person: {} ({}) 权证 {} {} {} 户籍 {}",
                    p.masked_name(),
                    p.role,
                    p.cert_no,
                    p.subdistrict.clone().unwrap_or_default(),
                    p.committee.clone().unwrap_or_default(),
                    p.registered_address.clone().unwrap_or_default()
                );
            }
            if let Some(c) = &v.candidate {
                println!(
                    "候选 candidate: {}#{} {} 第{}名 rank {} 分数 score {:.2}",
                    c.source, c.record_id, c.kind, c.rank, c.rank, c.score
                );
            }
            println!("走访 attempts:");
            for a in &v.attempts {
                println!(
                    "  {} {} {} → {} {} {}",
                    a.at.format("%Y-%m-%d %H:%M"),
                    a.staff.clone().unwrap_or_default(),
                    a.method,
                    a.result,
                    a.notes.clone().unwrap_or_default(),
                    a.next_step
                        .as_ref()
                        .map(|n| format!("下一步 next: {n}"))
                        .unwrap_or_default()
                );
            }
            println!("线索链 chain:");
            for n in &v.chain {
                println!(
                    "  {}#{} {} {} {}{}",
                    "  ".repeat(n.depth),
                    n.lead.id,
                    n.lead.kind_label,
                    n.lead.detail,
                    n.lead
                        .outcome
                        .clone()
                        .unwrap_or_else(|| n.lead.status.clone()),
                    if n.dead_end {
                        " ✗ 死胡同 dead end"
                    } else {
                        ""
                    }
                );
            }
        }
        LeadAction::Add {
            case_id,
            kind,
            detail,
            skills,
            due,
            pool,
            by,
        } => {
            let actor = actor(db, &by).await?;
            let new = NewLead {
                required_skills: split_list(&skills),
                due_date: due,
                ..NewLead::new(case_id, LeadKind::parse(&kind)?, detail)
            };
            let m = if pool {
                lead::create_in_pool(db, &new, &actor).await
            } else {
                lead::create(db, &new, &actor).await
            }
            .context("adding a lead")?;
            println!(
                "线索 lead #{} — {}",
                m.id,
                m.assignment_reason
                    .unwrap_or_else(|| "待认领 in the pool".into())
            );
        }
        LeadAction::Attempt {
            id,
            method,
            result,
            notes,
            next,
            at,
            by,
        } => {
            let actor = staff_actor(db, &by).await?;
            let attempt = NewAttempt {
                method: AttemptMethod::parse(&method)?,
                result: AttemptResult::parse(&result)?,
                at: at.map(|t| t.with_timezone(&xunren_tasks::chrono::Utc)),
                notes,
                next_step: next,
            };
            let a = lead::record_attempt(db, id, &attempt, &actor)
                .await
                .with_context(|| format!("lead #{id}"))?;
            println!("走访记录 attempt #{} on lead #{id}", a.id);
        }
        LeadAction::Close {
            id,
            outcome,
            note,
            spawn,
            by,
        } => {
            let actor = staff_actor(db, &by).await?;
            let follow_ups = spawn
                .iter()
                .map(|s| parse_spawn(s))
                .collect::<Result<Vec<_>>>()?;
            let c = lead::close(
                db,
                id,
                LeadOutcome::parse(&outcome)?,
                note.as_deref(),
                &follow_ups,
                &actor,
            )
            .await
            .with_context(|| format!("lead #{id}"))?;
            println!(
                "线索 lead #{id} 已关闭 closed ({}); 后续 follow-ups {:?}; 个案 case: {}",
                c.outcome.as_code(),
                c.follow_ups,
                c.case_state
            );
        }
        LeadAction::Spawn {
            id,
            kind,
            detail,
            by,
        } => {
            let actor = actor(db, &by).await?;
            let m = lead::spawn(db, id, LeadKind::parse(&kind)?, &detail, &actor)
                .await
                .with_context(|| format!("lead #{id}"))?;
            println!("线索 lead #{} ← #{id}", m.id);
        }
        LeadAction::Claim { id, by } => {
            let me = staff_actor(db, &by).await?;
            assign::claim(db, id, &me.name)
                .await
                .with_context(|| format!("lead #{id}"))?;
            println!("{} 认领 claimed lead #{id}", me.name);
        }
        LeadAction::Release { id, note, by } => {
            let actor = staff_actor(db, &by).await?;
            assign::release(db, id, &actor, note.as_deref())
                .await
                .with_context(|| format!("lead #{id}"))?;
            println!("线索 lead #{id} 已释放 released");
        }
        LeadAction::Reassign { id, to, note, by } => {
            let actor = actor(db, &by).await?;
            assign::reassign(db, id, &to, &note, &actor)
                .await
                .with_context(|| format!("lead #{id}"))?;
            println!("线索 lead #{id} → {to}");
        }
    }
    Ok(())
}

async fn report_cmd(db: &DatabaseConnection, what: ReportWhat) -> Result<()> {
    match what {
        ReportWhat::Consultation {
            base,
            round,
            output,
        } => {
            let base = vote::resolve_base(db, base.as_deref()).await?;
            let r = report::consultation(db, base.id, round).await?;
            show(&r, &r.table(), &output)
        }
        ReportWhat::Unresolved {
            base,
            group,
            today: day,
            output,
        } => {
            let base_id = match base {
                Some(name) => Some(vote::find_base(db, &name).await?.id),
                None => None,
            };
            let by = match group {
                Grouping::Subdistrict => report::GroupBy::Subdistrict,
                Grouping::Committee => report::GroupBy::Committee,
                Grouping::Team => report::GroupBy::Team,
                Grouping::Staff => report::GroupBy::Staff,
            };
            let r = report::unresolved(db, base_id, by, today(day)).await?;
            show(&r, &r.table(), &output)
        }
        ReportWhat::Staff { today: day, output } => {
            let r = report::staff_report(db, today(day)).await?;
            show(&r, &r.table(), &output)
        }
        ReportWhat::Overdue { today: day, output } => {
            let r = report::staff_report(db, today(day)).await?;
            show(&r, &r.overdue_table(), &output)
        }
        ReportWhat::Burndown {
            base,
            today: day,
            days,
            output,
        } => {
            let base_id = match base {
                Some(name) => Some(vote::find_base(db, &name).await?.id),
                None => None,
            };
            let r = report::burndown(db, base_id, today(day), days).await?;
            show(&r, &r.table(), &output)
        }
        ReportWhat::Blocked {
            base,
            round,
            output,
        } => {
            let base = vote::resolve_base(db, base.as_deref()).await?;
            let r = report::blocked(db, base.id, round).await?;
            show(&r, &r.table(), &output)
        }
    }
}
