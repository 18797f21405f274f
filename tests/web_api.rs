//! The web app over HTTP: sign-in and sessions, every role boundary (403 and nothing leaked),
//! CSRF, masking and the view audit, working a lead to contacted and seeing the dashboard move,
//! admin imports and jobs, the OpenAPI document. Each scenario runs the real app on a random
//! port against a fresh SQLite and PostgreSQL database.

use serde_json::{Value, json};
use xunren_tests::web::{PASSWORD, TestApp};
use xunren_tests::{TestDb, on_both_databases};

on_both_databases!(
    sign_in_sessions_and_rate_limit,
    staff_see_and_change_only_their_own_leads,
    leaders_work_their_teams_leads,
    supervisors_read_masked_and_open_persons_audited,
    admins_manage_but_do_not_read_cases,
    writes_need_the_csrf_token,
    working_a_lead_to_contacted_moves_the_dashboard,
    admin_imports_report_rows_and_jobs_run,
    pages_render_for_each_role,
);

async fn app(t: &TestDb) -> TestApp {
    TestApp::spawn(t).await
}

/// The id of an open lead of the account's staff member (through the API).
async fn first_lead(client: &xunren_tests::web::Client) -> i64 {
    let (status, leads) = client.get_json("/api/v1/leads").await;
    assert_eq!(status, 200);
    leads[0]["id"].as_i64().expect("an open lead")
}

fn no_personal_data(body: &str) {
    // A refusal carries an error code and a message, nothing else.
    let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if value.is_object() {
        assert_eq!(value.as_object().map(|o| o.len()), Some(1), "{body}");
        assert!(value.get("error").is_some(), "{body}");
    } else {
        assert!(!body.contains("QJB-"), "no certificate numbers in {body}");
        assert!(body.len() < 1000, "a short error page, not data: {body}");
    }
}

async fn sign_in_sessions_and_rate_limit(t: &TestDb) {
    let app = app(t).await;
    let anonymous = app.anonymous();
    // Pages send the anonymous to /login; the API says 401.
    let (status, _) = anonymous.get("/leads").await;
    assert_eq!(status, 303);
    let (status, body) = anonymous.get_json("/api/v1/me").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthenticated");
    let (status, _) = anonymous.get("/health").await;
    assert_eq!(status, 200);

    // Wrong password and unknown name look the same.
    let (status, wrong) = anonymous
        .post_json(
            "/api/v1/session",
            json!({"name": "staff", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, unknown) = anonymous
        .post_json(
            "/api/v1/session",
            json!({"name": "nobody", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(wrong, unknown);

    // The session cookie is HttpOnly and SameSite=Strict; not Secure without TLS.
    let response = anonymous
        .http
        .post(app.url("/api/v1/session"))
        .json(&json!({"name": "staff", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "{cookie}");
    // Behind a TLS proxy it is Secure.
    let response = app
        .anonymous()
        .http
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"name": "staff", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );

    let staff = app.sign_in("staff").await;
    let (status, me) = staff.get_json("/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["role"], "staff");
    // Signing out ends the session on the server.
    let response = staff
        .http
        .delete(app.url("/api/v1/session"))
        .header("x-csrf-token", &staff.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (status, _) = staff.get_json("/api/v1/me").await;
    assert_eq!(status, 401);
    assert_eq!(t.count("SELECT COUNT(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = 'staff')").await, 2, "the other two sessions remain");

    // Five failures for one name, then even the right password waits.
    let client = app.anonymous();
    for _ in 0..5 {
        let (status, _) = client
            .post_json(
                "/api/v1/session",
                json!({"name": "leader", "password": "wrong-wrong"}),
            )
            .await;
        assert_eq!(status, 401);
    }
    let (status, body) = client
        .post_json(
            "/api/v1/session",
            json!({"name": "leader", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts");
    // Other names are not blocked.
    let (status, _) = client
        .post_json(
            "/api/v1/session",
            json!({"name": "supervisor", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200);
    app.stop().await;
}

async fn staff_see_and_change_only_their_own_leads(t: &TestDb) {
    let app = app(t).await;
    let staff = app.sign_in(app.accounts.staff).await;
    let other = app.sign_in(app.accounts.other_staff).await;

    let (status, mine) = staff.get_json("/api/v1/leads").await;
    assert_eq!(status, 200);
    let mine = mine.as_array().unwrap().clone();
    assert!(!mine.is_empty());
    for lead in &mine {
        assert_eq!(lead["assignee"], app.accounts.staff_name.as_str());
        assert!(
            lead["person"].as_str().unwrap().contains('*'),
            "names masked in lists: {lead}"
        );
    }
    // Earliest due first.
    let dues: Vec<&str> = mine.iter().filter_map(|l| l["due_date"].as_str()).collect();
    let mut sorted = dues.clone();
    sorted.sort();
    assert_eq!(dues, sorted);

    let theirs = first_lead(&other).await;
    let (status, body) = staff.get(&format!("/api/v1/leads/{theirs}")).await;
    assert_eq!(status, 403);
    no_personal_data(&body);
    let (status, body) = staff.get(&format!("/leads/{theirs}")).await;
    assert_eq!(status, 403);
    no_personal_data(&body);
    let (status, body) = staff
        .post_json(
            &format!("/api/v1/leads/{theirs}/attempts"),
            json!({"method": "visit", "result": "no_trace"}),
        )
        .await;
    assert_eq!(status, 403);
    no_personal_data(&body.to_string());
    let (status, _) = staff
        .post_json(
            &format!("/api/v1/leads/{theirs}/close"),
            json!({"outcome": "dead_end"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = staff
        .post_json(
            &format!("/api/v1/leads/{theirs}/follow-ups"),
            json!({"kind": "phone", "detail": "13800000000"}),
        )
        .await;
    assert_eq!(status, 403);
    let case_of_theirs = {
        let (_, leads) = other.get_json("/api/v1/leads").await;
        leads[0]["case_id"].as_i64().unwrap()
    };
    let (status, _) = staff.get(&format!("/api/v1/cases/{case_of_theirs}")).await;
    assert_eq!(status, 403);
    let (status, _) = staff
        .post_json(
            &format!("/api/v1/cases/{case_of_theirs}/state"),
            json!({"to": "untraceable", "reason": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    // Nothing was written by the refusals.
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM attempts WHERE lead_id = {theirs}"
        ))
        .await,
        0
    );
    // Supervisors' and admins' views are closed to staff.
    for path in [
        "/api/v1/dashboard",
        "/api/v1/reports/consultation",
        "/api/v1/staff",
        "/api/v1/jobs/1",
    ] {
        let (status, body) = staff.get(path).await;
        assert_eq!(status, 403, "{path}");
        no_personal_data(&body);
    }
    for path in ["/dashboard", "/admin", "/reports/staff.xlsx"] {
        let (status, _) = staff.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    // Missing things are 404.
    let (status, _) = staff.get("/api/v1/leads/999999").await;
    assert_eq!(status, 404);

    // Their own lead: full detail, unmasked for the one working it, and audited.
    let own = mine[0]["id"].as_i64().unwrap();
    let before = t
        .count("SELECT COUNT(*) FROM view_audit WHERE subject = 'lead'")
        .await;
    let (status, detail) = staff.get_json(&format!("/api/v1/leads/{own}")).await;
    assert_eq!(status, 200);
    assert!(
        !detail["lead"]["person"]["name"]
            .as_str()
            .unwrap()
            .contains('*')
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM view_audit WHERE subject = 'lead'")
            .await,
        before + 1
    );
    app.stop().await;
}

async fn leaders_work_their_teams_leads(t: &TestDb) {
    let app = app(t).await;
    let staff = app.sign_in(app.accounts.staff).await;
    let other = app.sign_in(app.accounts.other_staff).await;
    let leader = app.sign_in(app.accounts.leader).await;
    let member_lead = first_lead(&staff).await;
    let outsider_lead = first_lead(&other).await;

    let (status, team) = leader.get_json("/api/v1/leads?scope=team").await;
    assert_eq!(status, 200);
    let team = team.as_array().unwrap();
    assert!(team.iter().any(|l| l["id"].as_i64() == Some(member_lead)));
    assert!(team.iter().all(|l| l["id"].as_i64() != Some(outsider_lead)));

    let (status, _) = leader.get(&format!("/api/v1/leads/{member_lead}")).await;
    assert_eq!(status, 200);
    let (status, _) = leader
        .post_json(
            &format!("/api/v1/leads/{member_lead}/attempts"),
            json!({"method": "phone", "result": "no_trace", "notes": "空号"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = leader.get(&format!("/api/v1/leads/{outsider_lead}")).await;
    assert_eq!(status, 403);
    no_personal_data(&body);
    let (status, _) = leader.get("/api/v1/dashboard").await;
    assert_eq!(status, 403);
    app.stop().await;
}

async fn supervisors_read_masked_and_open_persons_audited(t: &TestDb) {
    let app = app(t).await;
    let staff = app.sign_in(app.accounts.staff).await;
    let supervisor = app.sign_in(app.accounts.supervisor).await;
    let lead = first_lead(&staff).await;

    let (status, detail) = supervisor.get_json(&format!("/api/v1/leads/{lead}")).await;
    assert_eq!(status, 200);
    let person = &detail["lead"]["person"];
    assert!(
        person["name"].as_str().unwrap().contains('*'),
        "masked: {person}"
    );
    if let Some(phones) = person["phones"].as_str() {
        assert!(phones.contains("****"), "phones masked: {phones}");
    }
    for c in detail["candidates"].as_array().unwrap() {
        assert!(
            c["name"].as_str().unwrap().contains('*')
                || c["name"].as_str().unwrap().chars().count() == 1
        );
    }
    // Supervisors read, they do not work leads.
    let (status, _) = supervisor
        .post_json(
            &format!("/api/v1/leads/{lead}/attempts"),
            json!({"method": "visit", "result": "reached"}),
        )
        .await;
    assert_eq!(status, 403);

    // Opening the person: unmasked, and written to the view audit with who.
    let person_id = person["person_id"].as_i64().unwrap();
    let before = t
        .count(&format!("SELECT COUNT(*) FROM view_audit WHERE subject = 'person' AND subject_id = {person_id} AND user_name = 'supervisor'"))
        .await;
    let (status, full) = supervisor
        .get_json(&format!("/api/v1/persons/{person_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(!full["person"]["name"].as_str().unwrap().contains('*'));
    assert_eq!(
        t.count(&format!("SELECT COUNT(*) FROM view_audit WHERE subject = 'person' AND subject_id = {person_id} AND user_name = 'supervisor'")).await,
        before + 1
    );
    // The dashboard and reports.
    let (status, dashboard) = supervisor.get_json("/api/v1/dashboard").await;
    assert_eq!(status, 200);
    assert_eq!(
        dashboard["dashboard"]["unresolved_total"].as_i64(),
        Some(app.data.lost_persons as i64)
    );
    let (status, report) = supervisor.get_json("/api/v1/reports/consultation").await;
    assert_eq!(status, 200);
    assert!(report["report"]["rows"].as_array().unwrap().len() >= 2);
    let response = supervisor
        .http
        .get(app.url("/api/v1/reports/staff.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx (zip) file");
    // No admin work.
    let (status, _) = supervisor
        .post_json("/api/v1/jobs", json!({"kind": "match"}))
        .await;
    assert_eq!(status, 403);
    app.stop().await;
}

async fn admins_manage_but_do_not_read_cases(t: &TestDb) {
    let app = app(t).await;
    let staff = app.sign_in(app.accounts.staff).await;
    let admin = app.sign_in(app.accounts.admin).await;
    let lead = first_lead(&staff).await;
    let (status, body) = admin.get(&format!("/api/v1/leads/{lead}")).await;
    assert_eq!(status, 403);
    no_personal_data(&body);
    let (status, staff_list) = admin.get_json("/api/v1/staff").await;
    assert_eq!(status, 200);
    assert!(staff_list.as_array().unwrap().len() >= 20);
    // Leave: the staff member's open leads go to others, in one step.
    let name = app.accounts.other_staff_name.clone();
    let (status, _) = admin
        .post_json(&format!("/api/v1/staff/{name}"), json!({"action": "leave"}))
        .await;
    assert_eq!(status, 204);
    let open_left = t
        .count(&format!("SELECT COUNT(*) FROM leads l JOIN staff s ON s.id = l.assignee_id WHERE s.name = '{name}' AND l.status = 'open'"))
        .await;
    assert_eq!(open_left, 0);
    let (status, body) = admin
        .post_json(
            &format!("/api/v1/staff/{name}"),
            json!({"action": "capacity", "capacity": -5}),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // Base settings: thresholds as percentages, the rule, round dates; admins only.
    let base_id = t
        .count("SELECT CAST(MIN(id) AS BIGINT) FROM bases")
        .await
        .to_string();
    let (status, page) = admin.get("/admin").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("id=\"base-{base_id}\"")) && page.contains("value=\"85\""),
        "the base form with round 2 at 85 %"
    );
    let path = format!("/admin/bases/{base_id}");
    let settings = |csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("round1_threshold".to_string(), "92.5".to_string()),
            ("threshold_rule".to_string(), "more_than".to_string()),
            ("round2_start".to_string(), "2020-09-01".to_string()),
        ]
    };
    let rule = "SELECT COUNT(*) FROM bases WHERE threshold_rule = 'more_than'";
    let supervisor = app.sign_in(app.accounts.supervisor).await;
    let form = settings(&supervisor.csrf);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _) = supervisor.post_form(&path, &form).await;
    assert_eq!(status, 403);
    assert_eq!(t.count(rule).await, 0, "a refused change writes nothing");
    let form = settings(&admin.csrf);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _) = admin.post_form(&path, &form).await;
    assert_eq!(status, 303);
    assert_eq!(t.count(rule).await, 1);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM bases WHERE round1_threshold > 0.924 AND round1_threshold < 0.926 AND round2_threshold > 0.849 AND round2_threshold < 0.851")
            .await,
        1,
        "round 1 changed, round 2 kept"
    );
    let (_, dashboard) = supervisor.get("/dashboard").await;
    let shown = ["&#62;92.5%", "&gt;92.5%"];
    assert!(
        shown.iter().any(|s| dashboard.contains(s)),
        "the dashboard shows the rule and the threshold"
    );
    let (status, body) = admin
        .post_form(
            &path,
            &[("csrf", admin.csrf.as_str()), ("round2_threshold", "120")],
        )
        .await;
    assert_eq!(status, 400, "a bad value is a bad request");
    assert!(
        body.contains("percentage") && body.contains("百分数"),
        "{body}"
    );
    app.stop().await;
}

async fn writes_need_the_csrf_token(t: &TestDb) {
    let app = app(t).await;
    let mut staff = app.sign_in(app.accounts.staff).await;
    let lead = first_lead(&staff).await;
    let good = staff.csrf.clone();
    staff.csrf = "0".repeat(64);
    let (status, body) = staff
        .post_json(
            &format!("/api/v1/leads/{lead}/attempts"),
            json!({"method": "visit", "result": "no_trace"}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "csrf");
    // Forms: a wrong token is refused, the session's token passes.
    let form = [
        ("csrf", "wrong"),
        ("method", "visit"),
        ("result", "no_trace"),
    ];
    let (status, _) = staff
        .post_form(&format!("/leads/{lead}/attempt"), &form)
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM attempts WHERE lead_id = {lead}"
        ))
        .await,
        0
    );
    let form = [
        ("csrf", good.as_str()),
        ("method", "visit"),
        ("result", "no_trace"),
        ("notes", "无人应门"),
    ];
    let (status, _) = staff
        .post_form(&format!("/leads/{lead}/attempt"), &form)
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM attempts WHERE lead_id = {lead}"
        ))
        .await,
        1
    );
    // Bad values are 4xx with a bilingual message, not 500.
    staff.csrf = good;
    let (status, body) = staff
        .post_json(
            &format!("/api/v1/leads/{lead}/attempts"),
            json!({"method": "飞鸽传书", "result": "no_trace"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(" / "));
    let (status, _) = staff
        .http
        .post(app.url(&format!("/api/v1/leads/{lead}/attempts")))
        .header("x-csrf-token", &staff.csrf)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert!((400..500).contains(&status));
    app.stop().await;
}

async fn working_a_lead_to_contacted_moves_the_dashboard(t: &TestDb) {
    let app = app(t).await;
    let staff = app.sign_in(app.accounts.staff).await;
    let supervisor = app.sign_in(app.accounts.supervisor).await;
    let (_, before) = supervisor.get_json("/api/v1/dashboard").await;
    let unresolved_before = before["dashboard"]["unresolved_total"].as_i64().unwrap();

    let lead = first_lead(&staff).await;
    // A lead cannot close without an attempt.
    let (status, body) = staff
        .post_json(
            &format!("/api/v1/leads/{lead}/close"),
            json!({"outcome": "reached"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = staff
        .post_json(
            &format!("/api/v1/leads/{lead}/attempts"),
            json!({"method": "visit", "result": "reached", "notes": "本人在闵行，已约签"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, closed) = staff
        .post_json(
            &format!("/api/v1/leads/{lead}/close"),
            json!({"outcome": "reached", "note": "已联系"}),
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["case_state"], "contacted");
    // The lead is closed: no more attempts.
    let (status, _) = staff
        .post_json(
            &format!("/api/v1/leads/{lead}/attempts"),
            json!({"method": "visit", "result": "reached"}),
        )
        .await;
    assert_eq!(status, 422);

    let (_, after) = supervisor.get_json("/api/v1/dashboard").await;
    assert_eq!(
        after["dashboard"]["unresolved_total"].as_i64().unwrap(),
        unresolved_before - 1
    );
    let (_, detail) = staff.get_json(&format!("/api/v1/leads/{lead}")).await;
    let case_id = detail["lead"]["lead"]["case_id"].as_i64().unwrap();
    // The audit history has the attempt and the state changes, by this staff member.
    let (status, case) = staff.get_json(&format!("/api/v1/cases/{case_id}")).await;
    assert_eq!(status, 200);
    let events = case["case"]["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "attempt" && e["actor"] == "staff")
    );
    assert!(events.iter().any(|e| e["to"] == "contacted"));
    app.stop().await;
}

async fn admin_imports_report_rows_and_jobs_run(t: &TestDb) {
    let app = app(t).await;
    let admin = app.sign_in(app.accounts.admin).await;
    let upload = |name: &'static str, text: &'static str| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(text.as_bytes().to_vec()).file_name(name),
        )
    };
    let before = t.snapshot().await;
    let response = admin
        .http
        .post(app.url("/api/v1/imports/staff"))
        .header("x-csrf-token", &admin.csrf)
        .multipart(upload(
            "staff.csv",
            "姓名,角色,小组,街道,居委会,技能,容量\n新人甲,联络员,第一小组,老西门街道,,,10\n新人乙,宇航员,第一小组,,,,10\n",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["ok"], false);
    let problem = &outcome["problems"][0];
    assert_eq!(problem["row"], 3, "{outcome}");
    assert_eq!(problem["column"], "角色");
    assert!(problem["message"].as_str().unwrap().contains(" / "));
    assert_eq!(t.snapshot().await, before, "a refused file writes nothing");

    let response = admin
        .http
        .post(app.url("/api/v1/imports/staff"))
        .header("x-csrf-token", &admin.csrf)
        .multipart(upload(
            "staff.csv",
            "姓名,角色,小组,街道,居委会,技能,容量\n新人甲,联络员,第一小组,老西门街道,,,10\n",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["ok"], true, "{outcome}");
    let names = t.count("SELECT COUNT(*) FROM staff").await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM staff WHERE name = '新人甲'")
            .await,
        1,
        "{outcome} {names}"
    );

    // Uploads without the CSRF header are refused, whoever sends them.
    let response = admin
        .http
        .post(app.url("/api/v1/imports/staff"))
        .multipart(upload("staff.csv", "姓名\n某\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    let (status, job) = admin
        .post_json("/api/v1/jobs", json!({"kind": "match_assign"}))
        .await;
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_u64().unwrap();
    let mut finished = Value::Null;
    for _ in 0..600 {
        let (_, now) = admin.get_json(&format!("/api/v1/jobs/{id}")).await;
        if now["finished"] == true {
            finished = now;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(finished["ok"], true, "{finished}");
    assert_eq!(finished["stage"], "done");
    app.stop().await;
}

async fn pages_render_for_each_role(t: &TestDb) {
    let app = app(t).await;
    let staff = app.sign_in(app.accounts.staff).await;
    let lead = first_lead(&staff).await;
    let (status, page) = staff.get("/leads").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("data-lead=\"{lead}\"")));
    let (status, page) = staff.get(&format!("/leads/{lead}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("name=\"csrf\"") && page.contains(&staff.csrf),
        "forms carry the token"
    );
    let (status, page) = staff.get("/visit-sheet").await;
    assert_eq!(status, 200);
    assert!(page.contains("visit-sheet"));
    let (status, page) = staff.get("/leads?show=overdue").await;
    assert_eq!(status, 200);
    assert!(page.contains("lead-count"));

    let supervisor = app.sign_in(app.accounts.supervisor).await;
    let (status, page) = supervisor.get("/dashboard").await;
    assert_eq!(status, 200);
    for id in [
        "consultation",
        "burndown-chart",
        "load",
        "overdue",
        "stuck",
        "unresolved-total",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let (status, svg) = supervisor.get("/dashboard/burndown.svg").await;
    assert_eq!(status, 200);
    assert!(svg.starts_with("<svg"));
    // English labels on request.
    let (status, _) = supervisor.get("/lang/en").await;
    assert_eq!(status, 303);
    let (_, english) = supervisor.get("/dashboard").await;
    assert!(
        english.contains("Dashboard") && english.contains("lang=\"en\""),
        "{english}"
    );
    let (_, _) = supervisor.get("/lang/zh").await;
    let (_, chinese) = supervisor.get("/dashboard").await;
    assert!(chinese.contains("督导看板"));

    let admin = app.sign_in(app.accounts.admin).await;
    let (status, page) = admin.get("/admin").await;
    assert_eq!(status, 200);
    assert!(page.contains("upload-roster"));

    // The OpenAPI document names every route of the API.
    let (status, spec) = app.anonymous().get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/leads",
        "/api/v1/leads/{id}",
        "/api/v1/leads/{id}/attempts",
        "/api/v1/leads/{id}/close",
        "/api/v1/leads/{id}/follow-ups",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/state",
        "/api/v1/persons/{id}",
        "/api/v1/dashboard",
        "/api/v1/reports/{name}",
        "/api/v1/staff",
        "/api/v1/staff/{name}",
        "/api/v1/imports/{kind}",
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} in the OpenAPI document"
        );
    }
    app.stop().await;
}
