//! The web app in a real headless Chromium, driven over WebDriver: a supervisor at a desk reads
//! the dashboard; a staff member on a phone signs in, opens their first lead, records a visit
//! that reached the person and closes the lead as reached; the case is contacted and the
//! supervisor's unresolved total drops by one. On the way: signed out, pages send to /login; a
//! wrong password is refused on the form; staff get the 403 page at /dashboard; signing out ends
//! the session. One scenario, on SQLite and on PostgreSQL.
//!
//! With `XUNREN_SCREENSHOTS=1` the SQLite run saves screenshots of the pages to
//! `docs/screenshots/` (login, my leads, a lead, the visit sheet, the dashboard).

use xunren_tasks::code::CaseState;
use xunren_tests::browser::{Browser, ChromeDriver, Screen};
use xunren_tests::web::{PASSWORD, TestApp};
use xunren_tests::{Backend, TestDb, on_both_databases};

on_both_databases!(working_a_lead_in_the_browser_moves_the_dashboard);

/// The dashboard's unresolved total, as a number.
async fn unresolved_total(browser: &Browser) -> i64 {
    let text = browser.text("#unresolved-total").await;
    text.trim()
        .parse()
        .unwrap_or_else(|e| panic!("#unresolved-total is a number, not {text:?}: {e}"))
}

async fn working_a_lead_in_the_browser_moves_the_dashboard(t: &TestDb) {
    let (app, driver) = tokio::join!(TestApp::spawn(t), ChromeDriver::start());
    // The supervisor reads the dashboard at a desk, the staff member works on a phone.
    let (supervisor, staff) = tokio::join!(
        driver.browser(Screen::Desktop),
        driver.browser(Screen::Phone)
    );
    // One run writes the screenshots: the SQLite one.
    let shots = t.backend == Backend::Sqlite;

    // The supervisor signs in and reads the unresolved total.
    supervisor
        .sign_in(&app, app.accounts.supervisor, PASSWORD, "/dashboard")
        .await;
    let before = unresolved_total(&supervisor).await;
    assert!(before > 0, "the demo base has unresolved cases");

    // Signed out, a page sends the phone to /login.
    staff.open(&app, "/leads").await;
    staff.wait_for_path("/login").await;
    assert!(staff.text("h1").await.contains("登录"), "the login page");
    if shots {
        staff.screenshot("login").await;
    }
    // A wrong password: the form again, with the error, not signed in.
    staff.fill("#name", app.accounts.staff).await;
    staff.fill("#password", "not-the-password").await;
    staff.click("#sign-in").await;
    assert!(!staff.text("#login-error").await.trim().is_empty());
    assert!(staff.has("#login-form").await);
    assert!(!staff.has("#sign-out").await, "not signed in");

    // The staff member signs in and lands on 我的线索.
    staff
        .sign_in(&app, app.accounts.staff, PASSWORD, "/leads")
        .await;
    assert!(staff.text("h1").await.contains("我的线索"));
    assert!(
        staff.has("a.lead-link").await,
        "the staff member has open leads"
    );
    if shots {
        staff.screenshot("my-leads").await;
    }

    // The first lead: record a visit that reached the person.
    staff.click("a.lead-link").await;
    staff.find("#attempt-form").await;
    let lead_path = staff.path().await;
    assert!(lead_path.starts_with("/leads/"), "a lead page: {lead_path}");
    assert!(
        !staff.text("#person-name").await.contains('*'),
        "staff see the whole name"
    );
    if shots {
        staff.screenshot("lead").await;
    }
    staff.select("#attempt-method", "visit").await;
    staff.select("#attempt-result", "reached").await;
    staff.fill("#attempt-notes", "本人在闵行，已约签").await;
    staff.click("#attempt-save").await;
    staff.wait_for_path(&lead_path).await;
    assert!(
        staff
            .wait_for_text("#attempts ol.attempts", "本人在闵行，已约签")
            .await,
        "the attempt is listed"
    );

    // Close the lead as reached: the case is contacted, the lead takes no more attempts.
    staff.click("#close-form #outcome-reached").await;
    staff.wait_for_path(&lead_path).await;
    let started = std::time::Instant::now();
    while staff.has("#attempt-form").await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "the closed lead still offers the attempt form"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let contacted = CaseState::Contacted;
    let state = staff.text("#case-state").await;
    assert!(
        [contacted.as_code(), contacted.label()].contains(&state.trim()),
        "the case is contacted, not {state:?}"
    );

    // The dashboard is not for staff: the 403 page, nothing of the base on it.
    staff.open(&app, "/dashboard").await;
    assert_eq!(staff.text("main h1").await.trim(), "403");
    assert!(!staff.text("#error-message").await.trim().is_empty());
    assert!(!staff.has("#unresolved-total").await);

    // The visit sheet of the day's round.
    staff.open(&app, "/visit-sheet").await;
    staff.find("#visit-sheet").await;
    assert!(staff.text("h1").await.contains("走访单"));
    if shots {
        staff.screenshot("visit-sheet").await;
    }

    // The supervisor's dashboard, reloaded: one case fewer unresolved.
    supervisor.resize(1280, 1600).await;
    supervisor
        .client
        .refresh()
        .await
        .expect("reload the dashboard");
    assert_eq!(supervisor.path().await, "/dashboard");
    assert_eq!(unresolved_total(&supervisor).await, before - 1);
    if shots {
        supervisor.screenshot("dashboard").await;
    }

    // Signing out ends the session: back to /login, and /leads is closed again.
    staff.click("#sign-out").await;
    staff.wait_for_path("/login").await;
    staff.open(&app, "/leads").await;
    staff.wait_for_path("/login").await;

    tokio::join!(supervisor.close(), staff.close());
    drop(driver);
    app.stop().await;
}
