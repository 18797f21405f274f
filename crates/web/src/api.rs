//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/v1/openapi.json`.
//! Same rules as the pages: sign in with `POST /api/v1/session` (the session cookie comes back
//! with the CSRF token), send the token as `X-CSRF-Token` on every write; roles are enforced by
//! [`crate::access`]. Errors are `{"error": {"code", "message"}}` with the HTTP status.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::account::Role;
use crate::auth::{ApiViewer, Viewer};
use crate::error::{ApiError, ApiResult, ErrorBody, WebError};
use crate::imports::{ImportKind, ImportOutcome};
use crate::pages::{admin, cases, dashboard, leads, login};
use crate::session;
use crate::view::{Candidate, LeadRow};

/// The routes of the API (nested under `/api/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/session", post(sign_in).delete(sign_out))
        .route("/me", get(me))
        .route("/leads", get(list_leads))
        .route("/leads/{id}", get(get_lead))
        .route("/leads/{id}/attempts", post(add_attempt))
        .route("/leads/{id}/close", post(close_lead))
        .route("/leads/{id}/follow-ups", post(add_follow_up))
        .route("/cases/{id}", get(get_case))
        .route("/cases/{id}/state", post(move_case))
        .route("/persons/{id}", get(get_person))
        .route("/dashboard", get(get_dashboard))
        .route("/reports/{name}", get(get_report))
        .route("/staff", get(list_staff))
        .route("/staff/{name}", post(change_staff))
        .route(
            "/imports/{kind}",
            post(import_file).layer(DefaultBodyLimit::max(admin::MAX_UPLOAD_BYTES)),
        )
        .route("/jobs", post(start_job))
        .route("/jobs/{id}", get(get_job))
}

/// The OpenAPI document of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "xunren API",
        description = "寻人 xunren: tracing lost residents. Sign in with POST /api/v1/session; the session cookie (HttpOnly, SameSite=Strict) authenticates; every write carries the session's CSRF token in the X-CSRF-Token header."
    ),
    paths(
        sign_in, sign_out, me, list_leads, get_lead, add_attempt, close_lead, add_follow_up,
        get_case, move_case, get_person, get_dashboard, get_report, list_staff, change_staff,
        import_file, start_job, get_job
    ),
    components(schemas(
        ErrorBody, SignIn, SessionInfo, Me, LeadRow, Candidate, LeadDetail, AttemptInput,
        Created, CloseInput, ClosedBody, FollowUpInput, CaseDetail, StateInput, PersonDetail,
        DashboardBody, ReportBody, StaffInput, ImportOutcome, JobInput, crate::jobs::Job
    )),
    tags(
        (name = "session", description = "sign-in and who am I"),
        (name = "leads", description = "线索 leads and 走访 attempts of staff and team leaders"),
        (name = "cases", description = "个案 cases and persons"),
        (name = "supervision", description = "督导 dashboard and reports"),
        (name = "admin", description = "管理 imports, staff, matching and assignment")
    )
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Sign-in credentials.
#[derive(Deserialize, ToSchema)]
pub struct SignIn {
    pub name: String,
    pub password: String,
}

/// A new session: the cookie is set; send `csrf_token` as `X-CSRF-Token` on writes.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub name: String,
    pub role: Role,
    pub csrf_token: String,
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<SignIn>,
) -> ApiResult<Response> {
    let (token, user, csrf) =
        login::sign_in(&state, &addr.ip().to_string(), &body.name, &body.password).await?;
    let secure = state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let info = SessionInfo {
        name: user.name.clone(),
        role: Role::parse(&user.role)?,
        csrf_token: csrf,
    };
    Ok((
        [(header::SET_COOKIE, session::cookie(&token, secure))],
        Json(info),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let token = session::cookie_in(&headers, session::COOKIE).unwrap_or_default();
    session::delete(&state.db, &token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session::removal_cookie(viewer.secure))],
    )
        .into_response())
}

/// The signed-in account.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub name: String,
    pub role: Role,
    pub staff_id: Option<i32>,
    pub team: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(ApiViewer(viewer): ApiViewer) -> Json<Me> {
    Json(Me {
        name: viewer.name,
        role: viewer.role,
        staff_id: viewer.staff_id,
        team: viewer.team,
    })
}

#[utoipa::path(get, path = "/api/v1/leads", tag = "leads",
    params(("show" = Option<String>, Query, description = "overdue | new"),
           ("committee" = Option<String>, Query, description = "居委会"),
           ("scope" = Option<String>, Query, description = "team: a leader's whole team")),
    responses((status = 200, body = [LeadRow]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_leads(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Query(filter): Query<leads::ListFilter>,
) -> ApiResult<Json<Vec<LeadRow>>> {
    let team = filter.scope.as_deref() == Some("team");
    let rows = leads::my_rows(&state, &viewer, team).await?;
    Ok(Json(leads::filter_rows(
        rows,
        filter.show.as_deref().unwrap_or(""),
        filter.committee.as_deref().unwrap_or(""),
    )))
}

/// A lead with its person, candidate, attempts and chain, and the person's candidates.
#[derive(Serialize, ToSchema)]
pub struct LeadDetail {
    #[schema(value_type = Object)]
    pub lead: xunren_tasks::lead::LeadView,
    pub candidates: Vec<Candidate>,
}

#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads", params(("id" = i32, Path)),
    responses((status = 200, body = LeadDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_lead(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<i32>,
) -> ApiResult<Json<LeadDetail>> {
    crate::access::lead(&state.db, &viewer, id, crate::access::Need::Read).await?;
    let mut lead = xunren_tasks::lead::view(&state.db, id).await?;
    crate::audit::viewed(
        &state.db,
        &viewer,
        "lead",
        Some(id),
        &format!("/api/v1/leads/{id}"),
    )
    .await?;
    let works = viewer.role.works_leads();
    if !works {
        lead.detail = lead.lead.detail.clone();
        if let Some(p) = lead.person.as_mut() {
            p.name = p.masked_name();
            p.phones = p.phones.as_deref().map(xunren_domain::mask_phone);
        }
    }
    let candidates = match &lead.person {
        Some(p) => crate::view::candidates(&state.db, p.person_id, works, false).await?,
        None => Vec::new(),
    };
    Ok(Json(LeadDetail { lead, candidates }))
}

/// An attempt (走访) to record.
#[derive(Deserialize, ToSchema)]
pub struct AttemptInput {
    /// visit | phone | letter | committee | relative | police (or the Chinese label)
    pub method: String,
    /// reached | new_info | no_trace | refused
    pub result: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub next_step: String,
}

/// The id of what was created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i32,
}

#[utoipa::path(post, path = "/api/v1/leads/{id}/attempts", tag = "leads", params(("id" = i32, Path)),
    request_body = AttemptInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_attempt(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<i32>,
    Json(body): Json<AttemptInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let attempt = leads::record_attempt(&state, &viewer, id, &body).await?;
    Ok((StatusCode::CREATED, Json(Created { id: attempt.id })))
}

/// How a lead ends.
#[derive(Deserialize, ToSchema)]
pub struct CloseInput {
    /// reached | located | new_info | dead_end
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

/// What closing did.
#[derive(Serialize, ToSchema)]
pub struct ClosedBody {
    pub lead_id: i32,
    pub case_state: String,
    pub follow_ups: Vec<i32>,
}

#[utoipa::path(post, path = "/api/v1/leads/{id}/close", tag = "leads", params(("id" = i32, Path)),
    request_body = CloseInput,
    responses((status = 200, body = ClosedBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_lead(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<i32>,
    Json(body): Json<CloseInput>,
) -> ApiResult<Json<ClosedBody>> {
    let closed = leads::close_lead(&state, &viewer, id, &body.outcome, &body.note).await?;
    Ok(Json(ClosedBody {
        lead_id: closed.lead_id,
        case_state: closed.case_state,
        follow_ups: closed.follow_ups,
    }))
}

/// A follow-up lead.
#[derive(Deserialize, ToSchema)]
pub struct FollowUpInput {
    /// address | committee | relative | phone | police
    pub kind: String,
    pub detail: String,
}

#[utoipa::path(post, path = "/api/v1/leads/{id}/follow-ups", tag = "leads", params(("id" = i32, Path)),
    request_body = FollowUpInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_follow_up(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<i32>,
    Json(body): Json<FollowUpInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let lead = leads::spawn_lead(&state, &viewer, id, &body.kind, &body.detail).await?;
    Ok((StatusCode::CREATED, Json(Created { id: lead.id })))
}

/// A case with its leads and audit history (person masked for supervisors).
#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    #[schema(value_type = Object)]
    pub case: xunren_tasks::case::CaseView,
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i32, Path)),
    responses((status = 200, body = CaseDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<i32>,
) -> ApiResult<Json<CaseDetail>> {
    crate::access::case(&state.db, &viewer, id, crate::access::Need::Read).await?;
    let mut case = xunren_tasks::case::view(&state.db, id).await?;
    crate::audit::viewed(
        &state.db,
        &viewer,
        "case",
        Some(id),
        &format!("/api/v1/cases/{id}"),
    )
    .await?;
    if !viewer.role.works_leads()
        && let Some(p) = case.person.as_mut()
    {
        p.name = p.masked_name();
        p.phones = p.phones.as_deref().map(xunren_domain::mask_phone);
    }
    Ok(Json(CaseDetail { case }))
}

/// A case state change.
#[derive(Deserialize, ToSchema)]
pub struct StateInput {
    /// tracing | located | contacted | deceased | abroad | refuses | untraceable
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/state", tag = "cases", params(("id" = i32, Path)),
    request_body = StateInput,
    responses((status = 200, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn move_case(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<i32>,
    Json(body): Json<StateInput>,
) -> ApiResult<Json<Created>> {
    let case = cases::move_case(&state, &viewer, id, &body.to, &body.reason).await?;
    Ok(Json(Created { id: case.id }))
}

/// A person's whole record, unmasked (audited), with the matcher's candidates.
#[derive(Serialize, ToSchema)]
pub struct PersonDetail {
    pub person: cases::PersonRecord,
    pub candidates: Vec<Candidate>,
}

#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "cases", params(("id" = i32, Path)),
    responses((status = 200, body = PersonDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<i32>,
) -> ApiResult<Json<PersonDetail>> {
    let (person, candidates) =
        cases::person_record(&state, &viewer, id, &format!("/api/v1/persons/{id}")).await?;
    Ok(Json(PersonDetail { person, candidates }))
}

/// The supervisor dashboard's figures.
#[derive(Serialize, ToSchema)]
pub struct DashboardBody {
    #[schema(value_type = Object)]
    pub dashboard: dashboard::Dashboard,
}

#[utoipa::path(get, path = "/api/v1/dashboard", tag = "supervision",
    responses((status = 200, body = DashboardBody), (status = 403, body = ErrorBody)))]
async fn get_dashboard(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
) -> ApiResult<Json<DashboardBody>> {
    Ok(Json(DashboardBody {
        dashboard: dashboard::gather(&state, &viewer).await?,
    }))
}

/// A report as a titled table.
#[derive(Serialize, ToSchema)]
pub struct ReportBody {
    #[schema(value_type = Object)]
    pub report: xunren_tasks::report::ReportTable,
}

#[utoipa::path(get, path = "/api/v1/reports/{name}", tag = "supervision",
    params(("name" = String, Path, description = "consultation | signing | unresolved | staff | overdue | burndown | blocked; add .xlsx for Excel")),
    responses((status = 200, body = ReportBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_report(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    if name.ends_with(".xlsx") {
        return Ok(dashboard::export(State(state), viewer, Path(name)).await?);
    }
    let report = dashboard::report_table(&state, &viewer, &name).await?;
    Ok(Json(ReportBody { report }).into_response())
}

fn admin_only(viewer: &Viewer) -> Result<(), ApiError> {
    Ok(viewer.require(&[Role::Admin])?)
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "admin",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
async fn list_staff(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
) -> ApiResult<Json<Vec<xunren_tasks::staff::StaffRow>>> {
    viewer.require(&[Role::Admin, Role::Supervisor])?;
    Ok(Json(xunren_tasks::staff::list(&state.db).await?))
}

/// A change to a staff member.
#[derive(Deserialize, ToSchema)]
pub struct StaffInput {
    /// leave | back | capacity | areas
    pub action: String,
    pub capacity: Option<i32>,
    /// For `areas`: 街道, 居委会, 技能 as lists separated by 、 or ; (absent: unchanged).
    pub subdistricts: Option<String>,
    pub committees: Option<String>,
    pub skills: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/staff/{name}", tag = "admin", params(("name" = String, Path)),
    request_body = StaffInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn change_staff(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(name): Path<String>,
    Json(body): Json<StaffInput>,
) -> ApiResult<StatusCode> {
    admin_only(&viewer)?;
    let form = admin::StaffForm {
        csrf: String::new(),
        action: body.action,
        capacity: body.capacity.map(|c| c.to_string()),
        subdistricts: body.subdistricts,
        committees: body.committees,
        skills: body.skills,
    };
    admin::apply_staff_change(&state, &viewer, &name, &form).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "admin",
    params(("kind" = String, Path, description = "roster | reference | staff | votes")),
    request_body(content = Object, content_type = "multipart/form-data", description = "file; optional base, source, replace, dry_run"),
    responses((status = 200, body = ImportOutcome, description = "imported"), (status = 422, body = ImportOutcome, description = "refused: nothing written"), (status = 403, body = ErrorBody)))]
async fn import_file(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(kind): Path<String>,
    multipart: Multipart,
) -> ApiResult<(StatusCode, Json<ImportOutcome>)> {
    admin_only(&viewer)?;
    let kind = ImportKind::parse(&kind)?;
    let (_, request, _dir, path) = admin::read_upload(&state, multipart).await?;
    let outcome = crate::imports::run(&state, kind, &path, &request).await?;
    let status = if outcome.ok {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(outcome)))
}

/// A background job to start.
#[derive(Deserialize, ToSchema)]
pub struct JobInput {
    /// match | assign | match_assign
    pub kind: String,
}

#[utoipa::path(post, path = "/api/v1/jobs", tag = "admin", request_body = JobInput,
    responses((status = 202, body = crate::jobs::Job), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn start_job(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Json(body): Json<JobInput>,
) -> ApiResult<(StatusCode, Json<crate::jobs::Job>)> {
    admin_only(&viewer)?;
    let id = admin::start(&state, &viewer, &body.kind)?;
    let job = state.jobs.get(id).ok_or(WebError::NotFound)?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "admin", params(("id" = u64, Path)),
    responses((status = 200, body = crate::jobs::Job), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_job(
    State(state): State<AppState>,
    ApiViewer(viewer): ApiViewer,
    Path(id): Path<u64>,
) -> ApiResult<Json<crate::jobs::Job>> {
    admin_only(&viewer)?;
    Ok(Json(state.jobs.get(id).ok_or(WebError::NotFound)?))
}
