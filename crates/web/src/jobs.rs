//! Background jobs started from the admin page: matching (比对) and assignment (分派) run on the
//! server while the page polls their stage. One job at a time.

use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;
use serde::Serialize;

/// A job and where it is.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: u64,
    /// `match`, `assign` or `match_assign`.
    pub kind: String,
    pub started_by: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// What it is doing now (queued, matching, assigning, done, failed).
    pub stage: String,
    pub finished: bool,
    pub ok: bool,
    /// What it did, or why it failed.
    pub summary: String,
}

/// The jobs of this app instance.
#[derive(Clone, Default)]
pub struct Jobs(Arc<Mutex<Vec<Job>>>);

impl Jobs {
    fn with<T>(&self, f: impl FnOnce(&mut Vec<Job>) -> T) -> T {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// The job `id`.
    pub fn get(&self, id: u64) -> Option<Job> {
        self.with(|jobs| jobs.iter().find(|j| j.id == id).cloned())
    }

    /// The latest jobs, newest first.
    pub fn recent(&self) -> Vec<Job> {
        self.with(|jobs| jobs.iter().rev().take(10).cloned().collect())
    }

    fn set(&self, id: u64, stage: &str, done: Option<(bool, String)>) {
        self.with(|jobs| {
            if let Some(job) = jobs.iter_mut().find(|j| j.id == id) {
                job.stage = stage.to_string();
                if let Some((ok, summary)) = done {
                    job.finished = true;
                    job.ok = ok;
                    job.summary = summary;
                }
            }
        })
    }

    /// Starts `kind` (`match`, `assign`, `match_assign`) in the background; `None` while
    /// another job runs.
    pub fn start(&self, db: DatabaseConnection, kind: &str, by: &str) -> Option<u64> {
        let id = self.with(|jobs| {
            if jobs.iter().any(|j| !j.finished) {
                return None;
            }
            let id = jobs.last().map_or(1, |j| j.id + 1);
            jobs.push(Job {
                id,
                kind: kind.to_string(),
                started_by: by.to_string(),
                started_at: chrono::Utc::now(),
                stage: "queued".to_string(),
                finished: false,
                ok: false,
                summary: String::new(),
            });
            Some(id)
        })?;
        let jobs = self.clone();
        let kind = kind.to_string();
        let actor = xunren_tasks::Actor {
            id: None,
            name: by.to_string(),
        };
        tokio::spawn(async move {
            let mut summary = Vec::new();
            if kind == "match" || kind == "match_assign" {
                jobs.set(id, "matching", None);
                let options = xunren_registry::matching::MatchOptions::default();
                match xunren_registry::matching::run_matching(&db, &options).await {
                    Ok(report) => summary.push(format!(
                        "比对 {} 人，候选 {} 条 / matched {} persons, {} candidates",
                        report.persons_matched,
                        report.candidates_stored,
                        report.persons_matched,
                        report.candidates_stored
                    )),
                    Err(e) => {
                        tracing::error!(job = id, error = %e, "matching failed");
                        jobs.set(id, "failed", Some((false, e.to_string())));
                        return;
                    }
                }
            }
            if kind == "assign" || kind == "match_assign" {
                jobs.set(id, "assigning", None);
                let options = xunren_tasks::assign::AssignOptions::at(chrono::Utc::now());
                match xunren_tasks::assign::run(&db, None, &options, &actor).await {
                    Ok(report) => summary.push(format!(
                        "新开个案 {}，新线索 {}，分派 {}，待分派 {} / cases opened {}, leads {}, assigned {}, waiting {}",
                        report.opened_cases,
                        report.candidate_leads,
                        report.assigned,
                        report.unassigned,
                        report.opened_cases,
                        report.candidate_leads,
                        report.assigned,
                        report.unassigned
                    )),
                    Err(e) => {
                        tracing::error!(job = id, error = %e, "assignment failed");
                        jobs.set(id, "failed", Some((false, e.to_string())));
                        return;
                    }
                }
            }
            jobs.set(id, "done", Some((true, summary.join("; "))));
        });
        Some(id)
    }
}
