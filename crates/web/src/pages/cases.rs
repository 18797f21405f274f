//! The case page (chain of leads with dead ends, audit history, closing with a reason) and the
//! full person page (unmasked, audited).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Redirect;
use sea_orm::EntityTrait;
use serde::Deserialize;
use xunren_tasks::code::CaseState;

use super::{Chrome, date_or_dash, local_time};
use crate::access::{self, Need};
use crate::auth::Viewer;
use crate::error::{WebError, WebResult};
use crate::view;
use crate::{AppState, audit};

/// A line of the audit history as shown.
pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub change: String,
    pub note: String,
    pub lead_id: Option<i32>,
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePage {
    pub page: Chrome,
    pub view: xunren_tasks::case::CaseView,
    pub state_label: String,
    pub person_name: String,
    pub chain: Vec<xunren_tasks::lead::ChainNode>,
    pub history: Vec<HistoryLine>,
    pub can_work: bool,
    pub closings: Vec<(&'static str, &'static str)>,
}

/// `GET /cases/{id}`. A whole view: audited.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> WebResult<CasePage> {
    access::case(&state.db, &viewer, id, Need::Read).await?;
    let can_work = viewer.role.works_leads()
        && access::case(&state.db, &viewer, id, Need::Work)
            .await
            .is_ok();
    let case_view = xunren_tasks::case::view(&state.db, id).await?;
    let chain = xunren_tasks::lead::chain(&state.db, id).await?;
    audit::viewed(
        &state.db,
        &viewer,
        "case",
        Some(id),
        &format!("/cases/{id}"),
    )
    .await?;
    let history = case_view
        .events
        .iter()
        .map(|e| HistoryLine {
            at: local_time(&e.at),
            actor: e.actor.clone(),
            kind: xunren_tasks::code::EventKind::parse(&e.kind)
                .map(|k| k.label().to_string())
                .unwrap_or_else(|_| e.kind.clone()),
            change: match (&e.from, &e.to) {
                (Some(f), Some(t)) => {
                    format!("{} → {}", view::state_label(f), view::state_label(t))
                }
                (None, Some(t)) => view::state_label(t),
                _ => String::new(),
            },
            note: e
                .note
                .as_deref()
                .map(xunren_tasks::lead::mask_detail)
                .unwrap_or_default(),
            lead_id: e.lead_id,
        })
        .collect();
    let person_name = case_view
        .person
        .as_ref()
        .map(|p| {
            if viewer.role.works_leads() {
                p.name.clone()
            } else {
                p.masked_name()
            }
        })
        .unwrap_or_default();
    let closings = CaseState::ALL
        .iter()
        .filter(|s| s.is_closed())
        .map(|s| (s.as_code(), s.label()))
        .collect();
    Ok(CasePage {
        page: Chrome::new(&viewer, format!("{} #{id}", viewer.lang.text().case)),
        state_label: view::state_label(&case_view.case.state),
        person_name,
        chain,
        history,
        can_work,
        closings,
        view: case_view,
    })
}

#[derive(Deserialize)]
pub struct StateForm {
    pub csrf: String,
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

/// Moves a case the viewer works to another state (shared with the API).
pub async fn move_case(
    state: &AppState,
    viewer: &Viewer,
    id: i32,
    to: &str,
    reason: &str,
) -> WebResult<xunren_tasks::entity::case::Model> {
    access::case(&state.db, viewer, id, Need::Work).await?;
    if !viewer.role.works_leads() {
        return Err(WebError::Forbidden);
    }
    let to = CaseState::parse(to)?;
    let reason = reason.trim();
    let reason = (!reason.is_empty()).then(|| reason.chars().take(1000).collect::<String>());
    Ok(
        xunren_tasks::case::transition(&state.db, id, to, reason.as_deref(), &viewer.actor())
            .await?,
    )
}

/// `POST /cases/{id}/state`.
pub async fn change_state(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(form): Form<StateForm>,
) -> WebResult<Redirect> {
    viewer.check_csrf(&form.csrf)?;
    move_case(&state, &viewer, id, &form.to, &form.reason).await?;
    Ok(Redirect::to(&format!("/cases/{id}")))
}

/// A person's whole record, unmasked.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PersonRecord {
    pub id: i32,
    pub case_id: i32,
    pub name: String,
    pub cert_no: String,
    pub role: String,
    pub id_number: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<chrono::NaiveDate>,
    pub phones: Option<String>,
    pub registered_address: Option<String>,
    pub subdistrict: Option<String>,
    pub committee: Option<String>,
    pub contact_status: String,
}

/// The full record of person `id` if the viewer may read their case; audited.
pub async fn person_record(
    state: &AppState,
    viewer: &Viewer,
    id: i32,
    path: &str,
) -> WebResult<(PersonRecord, Vec<view::Candidate>)> {
    let owner = access::person_case(&state.db, viewer, id).await?;
    let person = xunren_registry::entity::person::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(WebError::NotFound)?;
    let info = xunren_tasks::case::PersonInfo::load(&state.db, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or(WebError::NotFound)?;
    audit::viewed(&state.db, viewer, "person", Some(id), path).await?;
    let candidates =
        view::candidates(&state.db, id, true, viewer.lang == crate::i18n::Lang::En).await?;
    Ok((
        PersonRecord {
            id,
            case_id: owner.id,
            name: person.name,
            cert_no: info.cert_no,
            role: person.role,
            id_number: person.id_number_as_given.or(person.id_number),
            gender: person.gender,
            birth_date: person.birth_date,
            phones: person.phones,
            registered_address: person.registered_address,
            subdistrict: info.subdistrict,
            committee: info.committee,
            contact_status: person.contact_status,
        },
        candidates,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
pub struct PersonPage {
    pub page: Chrome,
    pub person: PersonRecord,
    pub birth: String,
    pub role_label: String,
    pub candidates: Vec<view::Candidate>,
    /// The record of the lead being shown (none on the person page).
    pub this_record: String,
}

/// `GET /persons/{id}`: the unmasked record (supervisors open it from masked lists).
pub async fn person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
) -> WebResult<PersonPage> {
    let (person, candidates) =
        person_record(&state, &viewer, id, &format!("/persons/{id}")).await?;
    Ok(PersonPage {
        page: Chrome::new(&viewer, viewer.lang.text().person),
        birth: date_or_dash(&person.birth_date),
        role_label: view::role_label(&person.role),
        person,
        candidates,
        this_record: String::new(),
    })
}
