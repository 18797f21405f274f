//! 我的线索 My leads, the lead page (candidates, attempts, outcome, follow-ups) and the printable
//! visit sheet (走访单).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use serde::Deserialize;
use xunren_tasks::code::{AttemptMethod, AttemptResult, LeadKind, LeadOutcome};

use super::{Chrome, date_or_dash, local_time};
use crate::access::{self, Need};
use crate::account::Role;
use crate::auth::Viewer;
use crate::error::{WebError, WebResult};
use crate::view::{self, Candidate, LeadRow};
use crate::{AppState, audit};

/// A choice of a coded value in a form: (code, label).
pub type Choice = (&'static str, &'static str);

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter().map(|v| (code(*v), label(*v))).collect()
}

#[derive(Deserialize, Default)]
pub struct ListFilter {
    /// `overdue` or `new`.
    pub show: Option<String>,
    pub committee: Option<String>,
    /// `team` for a leader's whole team.
    pub scope: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "leads.html")]
pub struct LeadsPage {
    pub page: Chrome,
    pub rows: Vec<LeadRow>,
    pub total: usize,
    pub show: String,
    pub committee: String,
    pub committees: Vec<String>,
    pub team_scope: bool,
    /// The day's digest (每日提醒): overdue, due within two days, never tried.
    pub overdue_n: usize,
    pub soon_n: usize,
    pub new_n: usize,
}

/// Today in Shanghai.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// The open leads the viewer works: their own, or their team's for a leader asking for it.
pub async fn my_rows(state: &AppState, viewer: &Viewer, team: bool) -> WebResult<Vec<LeadRow>> {
    viewer.require(&[Role::Staff, Role::Leader])?;
    let assignees = if team && viewer.role == Role::Leader {
        access::workers(&state.db, viewer).await?
    } else {
        viewer.staff_id.into_iter().collect()
    };
    view::lead_rows(&state.db, &assignees, today()).await
}

/// Applies the list filters.
pub fn filter_rows(rows: Vec<LeadRow>, show: &str, committee: &str) -> Vec<LeadRow> {
    rows.into_iter()
        .filter(|r| match show {
            "overdue" => r.overdue,
            "new" => r.new,
            _ => true,
        })
        .filter(|r| committee.is_empty() || r.committee.as_deref() == Some(committee))
        .collect()
}

/// `GET /leads`.
pub async fn mine(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<ListFilter>,
) -> WebResult<LeadsPage> {
    let team_scope = filter.scope.as_deref() == Some("team") && viewer.role == Role::Leader;
    let rows = my_rows(&state, &viewer, team_scope).await?;
    let total = rows.len();
    let soon = today() + chrono::Duration::days(2);
    let overdue_n = rows.iter().filter(|r| r.overdue).count();
    let soon_n = rows
        .iter()
        .filter(|r| !r.overdue && r.due_date.is_some_and(|d| d <= soon))
        .count();
    let new_n = rows.iter().filter(|r| r.new).count();
    let mut committees: Vec<String> = rows.iter().filter_map(|r| r.committee.clone()).collect();
    committees.sort();
    committees.dedup();
    let show = filter.show.unwrap_or_default();
    let committee = filter.committee.unwrap_or_default();
    let title = if team_scope {
        viewer.lang.text().team_leads
    } else {
        viewer.lang.text().my_leads
    };
    Ok(LeadsPage {
        page: Chrome::new(&viewer, title),
        rows: filter_rows(rows, &show, &committee),
        total,
        show,
        committee,
        committees,
        team_scope,
        overdue_n,
        soon_n,
        new_n,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "lead.html")]
pub struct LeadPage {
    pub page: Chrome,
    pub view: xunren_tasks::lead::LeadView,
    pub due: String,
    pub case_state_label: String,
    pub person_role: String,
    pub person_name: String,
    pub phones: String,
    pub address: String,
    pub candidates: Vec<Candidate>,
    /// The reference record behind this lead, highlighted among the candidates.
    pub this_record: String,
    pub attempts: Vec<(String, String, String, String, String, String)>,
    pub can_work: bool,
    pub methods: Vec<Choice>,
    pub results: Vec<Choice>,
    pub outcomes: Vec<Choice>,
    pub kinds: Vec<Choice>,
}

/// `GET /leads/{id}`: everything about a lead. A whole view: audited.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> WebResult<LeadPage> {
    let found = access::lead(&state.db, &viewer, id, Need::Read).await?;
    let works = viewer.role.works_leads();
    let lead_view = xunren_tasks::lead::view(&state.db, id).await?;
    audit::viewed(
        &state.db,
        &viewer,
        "lead",
        Some(id),
        &format!("/leads/{id}"),
    )
    .await?;
    let (person_name, phones, address) = match &lead_view.person {
        Some(p) if works => (
            p.name.clone(),
            p.phones.clone().unwrap_or_default(),
            p.registered_address.clone().unwrap_or_default(),
        ),
        Some(p) => (
            p.masked_name(),
            p.phones
                .as_deref()
                .map(xunren_domain::mask_phone)
                .unwrap_or_default(),
            p.registered_address.clone().unwrap_or_default(),
        ),
        None => Default::default(),
    };
    let candidates = match &lead_view.person {
        Some(p) => {
            view::candidates(
                &state.db,
                p.person_id,
                works,
                viewer.lang == crate::i18n::Lang::En,
            )
            .await?
        }
        None => Vec::new(),
    };
    let attempts = lead_view
        .attempts
        .iter()
        .map(|a| {
            (
                local_time(&a.at),
                a.staff.clone().unwrap_or_default(),
                AttemptMethod::parse(&a.method)
                    .map(|m| m.label().to_string())
                    .unwrap_or_else(|_| a.method.clone()),
                AttemptResult::parse(&a.result)
                    .map(|m| m.label().to_string())
                    .unwrap_or_else(|_| a.result.clone()),
                a.notes.clone().unwrap_or_default(),
                a.next_step.clone().unwrap_or_default(),
            )
        })
        .collect();
    let this_record = lead_view
        .candidate
        .as_ref()
        .map(|c| c.record_id.clone())
        .unwrap_or_default();
    let title = format!("{} #{id}", viewer.lang.text().lead);
    Ok(LeadPage {
        page: Chrome::new(&viewer, title),
        due: date_or_dash(&found.due_date),
        case_state_label: view::state_label(&lead_view.case_state),
        person_role: lead_view
            .person
            .as_ref()
            .map(|p| view::role_label(&p.role))
            .unwrap_or_default(),
        can_work: works && found.status == "open",
        view: lead_view,
        person_name,
        phones,
        address,
        this_record,
        candidates,
        attempts,
        methods: choices(
            AttemptMethod::ALL,
            AttemptMethod::as_code,
            AttemptMethod::label,
        ),
        results: choices(
            AttemptResult::ALL,
            AttemptResult::as_code,
            AttemptResult::label,
        ),
        outcomes: choices(
            &[
                LeadOutcome::Reached,
                LeadOutcome::Located,
                LeadOutcome::NewInfo,
                LeadOutcome::DeadEnd,
            ],
            LeadOutcome::as_code,
            LeadOutcome::label,
        ),
        kinds: choices(LeadKind::ALL, LeadKind::as_code, LeadKind::label),
    })
}

#[derive(Deserialize)]
pub struct AttemptForm {
    pub csrf: String,
    #[serde(flatten)]
    pub attempt: crate::api::AttemptInput,
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.chars().take(2000).collect())
}

/// Records an attempt on a lead the viewer works (shared with the API).
pub async fn record_attempt(
    state: &AppState,
    viewer: &Viewer,
    id: i32,
    input: &crate::api::AttemptInput,
) -> WebResult<xunren_tasks::entity::attempt::Model> {
    access::lead(&state.db, viewer, id, Need::Work).await?;
    let attempt = xunren_tasks::lead::NewAttempt {
        method: AttemptMethod::parse(&input.method)?,
        result: AttemptResult::parse(&input.result)?,
        at: None,
        notes: optional(&input.notes),
        next_step: optional(&input.next_step),
    };
    Ok(xunren_tasks::lead::record_attempt(&state.db, id, &attempt, &viewer.actor()).await?)
}

/// `POST /leads/{id}/attempt`.
pub async fn attempt(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(form): Form<AttemptForm>,
) -> WebResult<Redirect> {
    viewer.check_csrf(&form.csrf)?;
    record_attempt(&state, &viewer, id, &form.attempt).await?;
    Ok(Redirect::to(&format!("/leads/{id}#attempts")))
}

#[derive(Deserialize)]
pub struct CloseForm {
    pub csrf: String,
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

/// Closes a lead the viewer works (shared with the API).
pub async fn close_lead(
    state: &AppState,
    viewer: &Viewer,
    id: i32,
    outcome: &str,
    note: &str,
) -> WebResult<xunren_tasks::lead::Closed> {
    access::lead(&state.db, viewer, id, Need::Work).await?;
    let outcome = LeadOutcome::parse(outcome)?;
    let note = optional(note);
    Ok(xunren_tasks::lead::close(
        &state.db,
        id,
        outcome,
        note.as_deref(),
        &[],
        &viewer.actor(),
    )
    .await?)
}

/// `POST /leads/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(form): Form<CloseForm>,
) -> WebResult<Redirect> {
    viewer.check_csrf(&form.csrf)?;
    close_lead(&state, &viewer, id, &form.outcome, &form.note).await?;
    Ok(Redirect::to(&format!("/leads/{id}")))
}

#[derive(Deserialize)]
pub struct SpawnForm {
    pub csrf: String,
    pub kind: String,
    pub detail: String,
}

/// Spawns a follow-up of a lead the viewer works (shared with the API).
pub async fn spawn_lead(
    state: &AppState,
    viewer: &Viewer,
    id: i32,
    kind: &str,
    detail: &str,
) -> WebResult<xunren_tasks::entity::lead::Model> {
    access::lead(&state.db, viewer, id, Need::Work).await?;
    let detail = detail.trim();
    if detail.is_empty() {
        return Err(WebError::bad(
            "请填写线索内容",
            "the follow-up lead needs a detail",
        ));
    }
    let kind = LeadKind::parse(kind)?;
    let detail: String = detail.chars().take(500).collect();
    Ok(xunren_tasks::lead::spawn(&state.db, id, kind, &detail, &viewer.actor()).await?)
}

/// `POST /leads/{id}/spawn`.
pub async fn spawn(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(form): Form<SpawnForm>,
) -> WebResult<Redirect> {
    viewer.check_csrf(&form.csrf)?;
    spawn_lead(&state, &viewer, id, &form.kind, &form.detail).await?;
    Ok(Redirect::to(&format!("/leads/{id}")))
}

/// One lead on the visit sheet, unmasked: the sheet goes with the staff member into the lanes.
pub struct SheetLine {
    pub id: i32,
    pub due: String,
    pub name: String,
    pub cert_no: String,
    pub committee: String,
    pub kind: String,
    pub detail: String,
    pub phones: String,
    pub address: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "visit_sheet.html")]
pub struct VisitSheet {
    pub page: Chrome,
    pub today: String,
    pub lines: Vec<SheetLine>,
}

/// `GET /visit-sheet`: the printable 走访单 of the day's round — open visit-type leads first,
/// then the rest, earliest due first. A whole view: audited.
pub async fn visit_sheet(State(state): State<AppState>, viewer: Viewer) -> WebResult<VisitSheet> {
    viewer.require(&[Role::Staff, Role::Leader])?;
    let staff_id = viewer.staff_id.ok_or(WebError::Forbidden)?;
    let leads = xunren_tasks::lead::my_leads(&state.db, staff_id).await?;
    audit::viewed(&state.db, &viewer, "visit_sheet", None, "/visit-sheet").await?;
    let mut lines = Vec::with_capacity(leads.len());
    for l in leads {
        let full = xunren_tasks::lead::view(&state.db, l.id).await?;
        let person = full.person.as_ref();
        lines.push(SheetLine {
            id: l.id,
            due: date_or_dash(&l.due_date),
            name: person.map(|p| p.name.clone()).unwrap_or_default(),
            cert_no: person.map(|p| p.cert_no.clone()).unwrap_or_default(),
            committee: person.and_then(|p| p.committee.clone()).unwrap_or_default(),
            kind: l.kind_label.clone(),
            detail: full.detail.clone(),
            phones: person.and_then(|p| p.phones.clone()).unwrap_or_default(),
            address: person
                .and_then(|p| p.registered_address.clone())
                .unwrap_or_default(),
        });
    }
    Ok(VisitSheet {
        page: Chrome::new(&viewer, viewer.lang.text().visit_sheet),
        today: today().format("%Y-%m-%d").to_string(),
        lines,
    })
}
