//! The HTML pages. Each handler checks the viewer's rights ([`crate::access`]) before it reads
//! anything for the page, renders an askama template from `templates/`, and carries the CSRF
//! token into every form.

pub(crate) mod admin;
pub(crate) mod cases;
pub(crate) mod dashboard;
pub(crate) mod leads;
pub(crate) mod login;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::account::Role;
use crate::auth::Viewer;
use crate::i18n::{Lang, Text};

/// What every page's frame needs: labels, who is signed in, the CSRF token, the navigation.
pub struct Chrome {
    pub t: &'static Text,
    pub lang: &'static str,
    pub title: String,
    pub user: String,
    pub role: Role,
    pub role_label: &'static str,
    pub csrf: String,
}

impl Chrome {
    pub fn new(viewer: &Viewer, title: impl Into<String>) -> Chrome {
        Chrome {
            t: viewer.lang.text(),
            lang: viewer.lang.code(),
            title: title.into(),
            user: viewer.name.clone(),
            role: viewer.role,
            role_label: viewer.role.label(),
            csrf: viewer.csrf.clone(),
        }
    }

    /// The frame of a page seen before signing in.
    pub fn anonymous(lang: Lang, title: impl Into<String>) -> Chrome {
        Chrome {
            t: lang.text(),
            lang: lang.code(),
            title: title.into(),
            user: String::new(),
            role: Role::Staff,
            role_label: "",
            csrf: String::new(),
        }
    }

    pub fn signed_in(&self) -> bool {
        !self.user.is_empty()
    }
    pub fn works_leads(&self) -> bool {
        self.signed_in() && self.role.works_leads()
    }
    pub fn is_leader(&self) -> bool {
        self.signed_in() && self.role == Role::Leader
    }
    pub fn reads_dashboard(&self) -> bool {
        self.signed_in() && matches!(self.role, Role::Supervisor | Role::Admin)
    }
    pub fn is_admin(&self) -> bool {
        self.signed_in() && self.role == Role::Admin
    }
}

/// The routes of the pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(login::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang/{code}", get(login::switch_lang))
        .route("/leads", get(leads::mine))
        .route("/leads/{id}", get(leads::show))
        .route("/leads/{id}/attempt", post(leads::attempt))
        .route("/leads/{id}/close", post(leads::close))
        .route("/leads/{id}/spawn", post(leads::spawn))
        .route("/visit-sheet", get(leads::visit_sheet))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/state", post(cases::change_state))
        .route("/persons/{id}", get(cases::person))
        .route("/dashboard", get(dashboard::show))
        .route("/dashboard/burndown.svg", get(dashboard::burndown_svg))
        .route("/reports/{name}", get(dashboard::export))
        .merge(admin::routes())
}

/// Formats an optional date for the pages.
pub fn date_or_dash(date: &Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "—".to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// Formats a timestamp in Shanghai time (UTC+8) for the pages.
pub fn local_time(at: &chrono::DateTime<chrono::Utc>) -> String {
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(shanghai) => at
            .with_timezone(&shanghai)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
