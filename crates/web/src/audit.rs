//! 查阅记录 View audit: every whole view of a person's data (lead page, case page, person page,
//! visit sheet, exports) is written with who and when. Only ids and the path are stored.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use crate::auth::Viewer;
use crate::entity::view_audit;
use crate::error::WebError;

/// Records that `viewer` viewed `subject` (`person`, `case`, `lead`, …) `subject_id` at `path`.
pub async fn viewed<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    subject: &str,
    subject_id: Option<i32>,
    path: &str,
) -> Result<(), WebError> {
    view_audit::ActiveModel {
        user_id: Set(Some(viewer.user_id)),
        user_name: Set(viewer.name.clone()),
        at: Set(chrono::Utc::now()),
        subject: Set(subject.to_string()),
        subject_id: Set(subject_id),
        path: Set(path.chars().take(200).collect()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
