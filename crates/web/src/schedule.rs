//! The server's clock: overdue leads are escalated (to the team leader, then a supervisor) every
//! `every`, so nobody has to remember `xunren escalate`. Escalation is idempotent — a lead moves
//! up a level once — so several instances on one PostgreSQL database may all run it.

use std::time::Duration;

use sea_orm::DatabaseConnection;

/// Runs the escalation now and then every `every`, until the runtime shuts down.
pub fn spawn_escalation(db: DatabaseConnection, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let today = crate::pages::leads::today();
            match xunren_tasks::deadline::escalate(
                &db,
                today,
                xunren_tasks::deadline::DEFAULT_GRACE_DAYS,
                &xunren_tasks::Actor::system(),
            )
            .await
            {
                Ok(report) => tracing::info!(
                    to_leader = report.to_leader,
                    to_supervisor = report.to_supervisor,
                    "escalation run"
                ),
                Err(e) => tracing::error!(error = %e, "escalation run failed"),
            }
        }
    })
}
