//! 督导看板 The supervisor dashboard: unresolved cases by subdistrict, committee, team and staff;
//! overdue leads; stuck cases; the consultation table as the report prints it with the gap to
//! the threshold; the burn-down as SVG; staff load against capacity. And report exports.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use xunren_tasks::report::{self, GroupBy, ReportTable};

use super::Chrome;
use super::leads::today;
use crate::access;
use crate::auth::Viewer;
use crate::error::{WebError, WebResult};
use crate::view::{self, LeadRow};
use crate::{AppState, audit, svg};

/// A stuck case as listed (masked).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StuckCase {
    pub case_id: i32,
    pub person: String,
    pub cert_no: String,
    pub committee: Option<String>,
    pub state: String,
}

/// A staff member's load as shown: open leads against capacity.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LoadBar {
    pub name: String,
    pub team: String,
    pub open_leads: i64,
    pub capacity: i32,
    pub overdue: i64,
    /// Open leads as a share of capacity, in percent (may exceed 100).
    pub percent: i64,
    pub over: bool,
    pub on_leave: bool,
}

/// What the dashboard shows, for the page and `GET /api/v1/dashboard`.
#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    pub base: String,
    pub today: chrono::NaiveDate,
    pub unresolved_total: i64,
    pub consultation: report::Consultation,
    pub unresolved: Vec<report::Unresolved>,
    pub overdue: Vec<LeadRow>,
    pub stuck: Vec<StuckCase>,
    pub burndown: report::Burndown,
    pub load: Vec<LoadBar>,
}

/// The base the viewer oversees: theirs, or the only one, or the first.
pub async fn viewer_base(
    state: &AppState,
    viewer: &Viewer,
) -> WebResult<xunren_registry::entity::base::Model> {
    use xunren_registry::entity::base;
    let query = match viewer.base_id {
        Some(id) => base::Entity::find_by_id(id),
        None => base::Entity::find().order_by_asc(base::Column::Id),
    };
    query.one(&state.db).await?.ok_or(WebError::NotFound)
}

/// Gathers the dashboard of the viewer's base.
pub async fn gather(state: &AppState, viewer: &Viewer) -> WebResult<Dashboard> {
    access::dashboard(viewer)?;
    let db = &state.db;
    let base = viewer_base(state, viewer).await?;
    let day = today();
    let consultation = report::consultation(db, base.id, 1).await?;
    let mut unresolved = Vec::new();
    for by in [
        GroupBy::Subdistrict,
        GroupBy::Committee,
        GroupBy::Team,
        GroupBy::Staff,
    ] {
        unresolved.push(report::unresolved(db, Some(base.id), by, day).await?);
    }
    let unresolved_total = unresolved.first().map_or(0, |u| u.total.unresolved);
    let base_cases: Vec<i32> = xunren_tasks::entity::case::Entity::find()
        .select_only()
        .column(xunren_tasks::entity::case::Column::Id)
        .filter(xunren_tasks::entity::case::Column::BaseId.eq(base.id))
        .order_by_asc(xunren_tasks::entity::case::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let overdue_leads = xunren_tasks::entity::lead::Entity::find()
        .filter(xunren_tasks::entity::lead::Column::Status.eq("open"))
        .filter(xunren_tasks::entity::lead::Column::DueDate.lt(day))
        .order_by_asc(xunren_tasks::entity::lead::Column::DueDate)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .filter(|l| base_cases.binary_search(&l.case_id).is_ok())
        .collect();
    let overdue = view::rows_for(db, overdue_leads, day).await?;
    let stuck_ids = xunren_tasks::case::stuck_cases(db).await?;
    let stuck_cases = xunren_tasks::entity::case::Entity::find()
        .filter(xunren_tasks::entity::case::Column::Id.is_in(stuck_ids.into_iter().take(500)))
        .filter(xunren_tasks::entity::case::Column::BaseId.eq(base.id))
        .order_by_asc(xunren_tasks::entity::case::Column::Id)
        .all(db)
        .await?;
    let persons: std::collections::HashMap<i32, xunren_tasks::case::PersonInfo> =
        xunren_tasks::case::PersonInfo::load(
            db,
            &stuck_cases.iter().map(|c| c.person_id).collect::<Vec<_>>(),
        )
        .await?
        .into_iter()
        .map(|p| (p.person_id, p))
        .collect();
    let stuck = stuck_cases
        .iter()
        .map(|c| {
            let p = persons.get(&c.person_id);
            StuckCase {
                case_id: c.id,
                person: p.map(|p| p.masked_name()).unwrap_or_default(),
                cert_no: p.map(|p| p.cert_no.clone()).unwrap_or_default(),
                committee: p.and_then(|p| p.committee.clone()),
                state: view::state_label(&c.state),
            }
        })
        .collect();
    let burndown = report::burndown(db, Some(base.id), day, 60).await?;
    let staff = report::staff_report(db, day).await?;
    let load = staff
        .rows
        .iter()
        .filter(|r| r.role != "supervisor")
        .map(|r| {
            let percent = if r.capacity > 0 {
                r.open_leads * 100 / i64::from(r.capacity)
            } else {
                0
            };
            LoadBar {
                name: r.name.clone(),
                team: r.team.clone().unwrap_or_default(),
                open_leads: r.open_leads,
                capacity: r.capacity,
                overdue: r.overdue,
                percent,
                over: r.open_leads > i64::from(r.capacity),
                on_leave: r.status == "on_leave",
            }
        })
        .collect();
    Ok(Dashboard {
        base: base.name,
        today: day,
        unresolved_total,
        consultation,
        unresolved,
        overdue,
        stuck,
        burndown,
        load,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub page: Chrome,
    pub d: Dashboard,
    pub consultation: ReportTable,
    pub groups: Vec<ReportTable>,
    pub chart: String,
    pub threshold_pct: String,
}

/// `GET /dashboard`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> WebResult<DashboardPage> {
    let d = gather(&state, &viewer).await?;
    let t = viewer.lang.text();
    Ok(DashboardPage {
        page: Chrome::new(&viewer, t.dashboard),
        consultation: d.consultation.table(),
        groups: d.unresolved.iter().map(|u| u.table()).collect(),
        chart: svg::burndown(&d.burndown.days, t.burndown),
        threshold_pct: d.consultation.threshold_label(),
        d,
    })
}

/// `GET /dashboard/burndown.svg`: the chart alone.
pub async fn burndown_svg(State(state): State<AppState>, viewer: Viewer) -> WebResult<Response> {
    access::dashboard(&viewer)?;
    let base = viewer_base(&state, &viewer).await?;
    let r = report::burndown(&state.db, Some(base.id), today(), 60).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml"),
        )],
        svg::burndown(&r.days, viewer.lang.text().burndown),
    )
        .into_response())
}

/// The report `name` of the viewer's base as a table.
pub async fn report_table(state: &AppState, viewer: &Viewer, name: &str) -> WebResult<ReportTable> {
    access::dashboard(viewer)?;
    let db = &state.db;
    let base = viewer_base(state, viewer).await?;
    let day = today();
    Ok(match name {
        "consultation" => report::consultation(db, base.id, 1).await?.table(),
        "signing" => report::consultation(db, base.id, 2).await?.table(),
        "unresolved" => report::unresolved(db, Some(base.id), GroupBy::Committee, day)
            .await?
            .table(),
        "staff" => report::staff_report(db, day).await?.table(),
        "overdue" => report::staff_report(db, day).await?.overdue_table(),
        "burndown" => report::burndown(db, Some(base.id), day, 60).await?.table(),
        "blocked" => report::blocked(db, base.id, 1).await?.table(),
        _ => return Err(WebError::NotFound),
    })
}

/// `GET /reports/{name}.xlsx`: a report as an Excel file. Audited (an export).
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(file): Path<String>,
) -> WebResult<Response> {
    let name = file.strip_suffix(".xlsx").ok_or(WebError::NotFound)?;
    let table = report_table(&state, &viewer, name).await?;
    let bytes = table.render(report::Format::Xlsx)?;
    audit::viewed(
        &state.db,
        &viewer,
        "export",
        None,
        &format!("/reports/{file}"),
    )
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}.xlsx\""))
                    .map_err(|e| WebError::Internal(e.to_string()))?,
            ),
        ],
        bytes,
    )
        .into_response())
}
