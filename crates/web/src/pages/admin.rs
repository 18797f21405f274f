//! 管理 Admin: upload roster, reference, staff and vote files (errors row by row); manage staff
//! (capacity, leave and return); run matching and assignment in the background with their stage
//! shown; list accounts; export reports.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use sea_orm::{EntityTrait, QueryOrder};
use serde::Deserialize;

use super::Chrome;
use crate::AppState;
use crate::account::{self, Role, UserRow};
use crate::auth::Viewer;
use crate::error::{WebError, WebResult};
use crate::imports::{self, ImportKind, ImportOutcome, ImportRequest};
use crate::jobs::Job;

/// Largest upload accepted (a million reference rows is about 130 MB).
pub const MAX_UPLOAD_BYTES: usize = 512 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(show))
        .route(
            "/admin/import/{kind}",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/admin/jobs", post(start_job))
        .route("/admin/jobs/{id}", get(job))
        .route("/admin/staff/{name}", post(change_staff))
        .route("/admin/bases/{id}", post(change_base))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub page: Chrome,
    pub staff: Vec<xunren_tasks::staff::StaffRow>,
    pub users: Vec<UserRow>,
    pub jobs: Vec<Job>,
    pub bases: Vec<xunren_registry::entity::base::Model>,
}

impl AdminPage {
    /// A threshold share as the percentage the form takes (0.85 → `85`, 0.905 → `90.5`).
    pub fn percent(&self, share: &f64) -> String {
        let text = xunren_tasks::report::percent((share * 10_000.0).round() as i64, 10_000);
        text.trim_end_matches('%').to_string()
    }
}

/// `GET /admin`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> WebResult<AdminPage> {
    viewer.require(&[Role::Admin])?;
    Ok(AdminPage {
        page: Chrome::new(&viewer, viewer.lang.text().admin),
        staff: xunren_tasks::staff::list(&state.db).await?,
        users: account::list(&state.db).await?,
        jobs: state.jobs.recent(),
        bases: xunren_registry::entity::base::Entity::find()
            .order_by_asc(xunren_registry::entity::base::Column::Name)
            .all(&state.db)
            .await?,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "import_result.html")]
pub struct ImportPage {
    pub page: Chrome,
    pub kind: String,
    pub outcome: ImportOutcome,
}

/// Reads an upload: the CSRF token, options and the file (kept in a private directory).
pub async fn read_upload(
    state: &AppState,
    mut multipart: Multipart,
) -> WebResult<(
    Option<String>,
    ImportRequest,
    imports::UploadDir,
    std::path::PathBuf,
)> {
    let mut csrf = None;
    let mut request = ImportRequest::default();
    let mut file = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        WebError::bad(format!("上传失败: {e}"), format!("upload failed: {e}"))
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or("upload.csv").to_string();
                let bytes = field.bytes().await.map_err(bad)?;
                file = Some((file_name, bytes));
            }
            _ => {
                let value = field.text().await.map_err(bad)?;
                match name.as_str() {
                    "csrf" => csrf = Some(value),
                    "base" => request.base = Some(value),
                    "source" => request.source = Some(value),
                    "replace" => request.replace = !value.is_empty(),
                    "dry_run" => request.dry_run = !value.is_empty(),
                    _ => {}
                }
            }
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| WebError::bad("请选择文件", "choose a file"))?;
    if bytes.is_empty() {
        return Err(WebError::bad(
            format!("{file_name} 是空文件"),
            format!("{file_name} is empty"),
        ));
    }
    let dir = imports::UploadDir::new(&state.config.upload_dir)?;
    let path = dir.write(&file_name, &bytes)?;
    Ok((csrf, request, dir, path))
}

/// `POST /admin/import/{kind}` (multipart).
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<String>,
    multipart: Multipart,
) -> WebResult<ImportPage> {
    viewer.require(&[Role::Admin])?;
    let kind_parsed = ImportKind::parse(&kind)?;
    let (csrf, request, _dir, path) = read_upload(&state, multipart).await?;
    viewer.check_csrf(csrf.as_deref().unwrap_or(""))?;
    let outcome = imports::run(&state, kind_parsed, &path, &request).await?;
    tracing::info!(kind = %kind, ok = outcome.ok, "import from the web");
    Ok(ImportPage {
        page: Chrome::new(&viewer, viewer.lang.text().imports),
        kind,
        outcome,
    })
}

#[derive(Deserialize)]
pub struct JobForm {
    pub csrf: String,
    pub kind: String,
}

/// `POST /admin/jobs`: starts matching, assignment or both.
pub async fn start_job(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<JobForm>,
) -> WebResult<Redirect> {
    viewer.require(&[Role::Admin])?;
    viewer.check_csrf(&form.csrf)?;
    let id = start(&state, &viewer, &form.kind)?;
    Ok(Redirect::to(&format!("/admin/jobs/{id}")))
}

/// Starts a job (shared with the API).
pub fn start(state: &AppState, viewer: &Viewer, kind: &str) -> WebResult<u64> {
    if !matches!(kind, "match" | "assign" | "match_assign") {
        return Err(WebError::bad(
            format!("未知任务「{kind}」"),
            format!("unknown job {kind:?} (match, assign, match_assign)"),
        ));
    }
    state
        .jobs
        .start(state.db.clone(), kind, &viewer.name)
        .ok_or_else(|| WebError::bad("已有任务在运行", "another job is running"))
}

#[derive(Template, WebTemplate)]
#[template(path = "job.html")]
pub struct JobPage {
    pub page: Chrome,
    pub job: Job,
}

/// `GET /admin/jobs/{id}`: the job's stage; the page reloads itself until the job ends.
pub async fn job(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<u64>,
) -> WebResult<JobPage> {
    viewer.require(&[Role::Admin])?;
    let job = state.jobs.get(id).ok_or(WebError::NotFound)?;
    Ok(JobPage {
        page: Chrome::new(&viewer, format!("{} #{id}", viewer.lang.text().admin)),
        job,
    })
}

#[derive(Deserialize, Default)]
pub struct StaffForm {
    #[serde(default)]
    pub csrf: String,
    /// `leave`, `back`, `capacity` or `areas`.
    pub action: String,
    pub capacity: Option<String>,
    /// For `areas`: lists separated by 、 or ;.
    pub subdistricts: Option<String>,
    pub committees: Option<String>,
    pub skills: Option<String>,
}

/// `POST /admin/staff/{name}`: leave (open leads reassigned), return, or a new capacity.
pub async fn change_staff(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<StaffForm>,
) -> WebResult<Redirect> {
    viewer.require(&[Role::Admin])?;
    viewer.check_csrf(&form.csrf)?;
    apply_staff_change(&state, &viewer, &name, &form).await?;
    Ok(Redirect::to("/admin#staff"))
}

/// Applies a staff change (shared with the API).
pub async fn apply_staff_change(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    form: &StaffForm,
) -> WebResult<()> {
    let action = form.action.as_str();
    let capacity = form.capacity.as_deref();
    match action {
        "leave" => {
            xunren_tasks::staff::put_on_leave(&state.db, name, &viewer.actor()).await?;
        }
        "back" => {
            xunren_tasks::staff::put_back(&state.db, name).await?;
        }
        "capacity" => {
            let capacity = capacity
                .and_then(|c| c.trim().parse::<i32>().ok())
                .ok_or_else(|| WebError::bad("容量须为整数", "capacity must be a whole number"))?;
            let change = xunren_tasks::staff::StaffChange {
                capacity: Some(capacity),
                ..Default::default()
            };
            xunren_tasks::staff::change(&state.db, name, &change).await?;
        }
        "areas" => {
            let list = |v: &Option<String>| v.as_deref().map(xunren_tasks::code::split_list);
            let change = xunren_tasks::staff::StaffChange {
                subdistricts: list(&form.subdistricts),
                committees: list(&form.committees),
                skills: list(&form.skills),
                ..Default::default()
            };
            xunren_tasks::staff::change(&state.db, name, &change).await?;
        }
        _ => {
            return Err(WebError::bad(
                format!("未知操作「{action}」"),
                format!("unknown action {action:?} (leave, back, capacity, areas)"),
            ));
        }
    }
    Ok(())
}

/// The base settings form: empty fields keep their value.
#[derive(Deserialize)]
pub struct BaseForm {
    pub csrf: String,
    #[serde(default)]
    pub round1_threshold: String,
    #[serde(default)]
    pub round2_threshold: String,
    #[serde(default)]
    pub threshold_rule: String,
    #[serde(default)]
    pub round1_date: String,
    #[serde(default)]
    pub round2_start: String,
    #[serde(default)]
    pub round2_end: String,
}

/// `POST /admin/bases/{id}`: thresholds (as percentages, e.g. 90), how they are read (≥ or >),
/// and the round dates of a base.
pub async fn change_base(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i32>,
    Form(form): Form<BaseForm>,
) -> WebResult<Redirect> {
    viewer.require(&[Role::Admin])?;
    viewer.check_csrf(&form.csrf)?;
    let base = xunren_registry::entity::base::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(WebError::NotFound)?;
    let percent = |text: &str, zh: &str, en: &str| -> WebResult<Option<f64>> {
        let text = text.trim().trim_end_matches('%');
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(p) if p > 0.0 && p <= 100.0 => Ok(Some(p / 100.0)),
            _ => Err(WebError::bad(
                format!("{zh}须为 0 到 100 之间的百分数（如 90），而非「{text}」"),
                format!("{en} is a percentage between 0 and 100 (e.g. 90), not {text:?}"),
            )),
        }
    };
    let date = |text: &str| -> WebResult<Option<chrono::NaiveDate>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                WebError::bad(
                    format!("日期须为 YYYY-MM-DD，而非「{text}」"),
                    format!("a date is YYYY-MM-DD, not {text:?}"),
                )
            })
    };
    let rule = form.threshold_rule.trim();
    let settings = xunren_tasks::vote::BaseSettings {
        round1_threshold: percent(&form.round1_threshold, "一轮门槛", "the round-1 threshold")?,
        round2_threshold: percent(&form.round2_threshold, "二轮门槛", "the round-2 threshold")?,
        threshold_rule: if rule.is_empty() {
            None
        } else {
            Some(xunren_tasks::code::ThresholdRule::parse(rule)?)
        },
        round1_date: date(&form.round1_date)?,
        round2_start: date(&form.round2_start)?,
        round2_end: date(&form.round2_end)?,
    };
    xunren_tasks::vote::configure_base(&state.db, &base.name, &settings).await?;
    tracing::info!(base = id, "base settings changed");
    Ok(Redirect::to("/admin#bases"))
}
