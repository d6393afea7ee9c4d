//! Logs an operator can ship and audit (hardening hole 9), black-box: `--log-format json`
//! writes one JSON object per line, every request has an access line, and every change and
//! login has an audit line naming who acted.

use std::time::Duration;

use serde_json::{json, Value};
use tandem_tests::{created_id, wait_until, Cluster};

/// Hardening hole 9: logs were text on stderr only, with no access log and no trail of who
/// changed what.
#[test]
fn hole_9_json_logs_with_an_access_line_per_request_and_an_audit_line_per_change_and_login() {
    let cluster = Cluster::embedded_single_with(&["--log-format", "json"]);
    let admin = cluster.client(1).clone();
    created_id(&admin, "/api/v1/skills", json!({"name": "Billing"}));
    created_id(
        &admin,
        "/api/v1/users",
        json!({"login_name": "ada", "role": "administrator", "password": "a long enough password"}),
    );
    let anonymous = admin.with_token(None);
    let refused = anonymous.post("/api/v1/sessions", &json!({"login": "ada", "password": "wrong"})).expect("a reply");
    assert_eq!(refused.status, 401);
    let stderr = cluster.node(1).dir.join("stderr.log");
    let lines = wait_until(Duration::from_secs(10), "the audit lines", || {
        let text = std::fs::read_to_string(&stderr).map_err(|e| e.to_string())?;
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).map_err(|e| format!("{e}: {line}")))
            .collect::<Result<_, _>>()?;
        let has = |target: &str, field: &str, value: &str| {
            lines.iter().any(|line| line["target"] == target && line[field].as_str().is_some_and(|v| v.contains(value)))
        };
        if has("audit", "command", "CreateSkill")
            && has("audit", "command", "Login")
            && has("access", "path", "/api/v1/skills")
        {
            Ok(lines)
        } else {
            Err(format!("not yet: {} lines", lines.len()))
        }
    });
    let find = |target: &str, key: &str, value: &str| {
        lines
            .iter()
            .find(|line| line["target"] == target && line[key] == value)
            .unwrap_or_else(|| panic!("no {target} line with {key} = {value}: {lines:?}"))
    };
    let skill = find("audit", "command", "CreateSkill");
    assert_eq!((skill["actor"].as_str(), skill["outcome"].as_str()), (Some("operator"), Some("applied")), "{skill}");
    assert!(skill["created"].as_str().is_some_and(|created| created.contains("Skill")), "{skill}");
    let user = find("audit", "command", "CreateUser");
    assert!(!user.to_string().contains("argon2"), "no password hash in the audit log: {user}");
    let login = find("audit", "command", "Login");
    assert_eq!(
        (login["outcome"].as_str(), login["code"].as_str()),
        (Some("rejected"), Some("unauthorized")),
        "{login}"
    );
    assert_eq!(login["peer"], "127.0.0.1");
    let access = find("access", "path", "/api/v1/skills");
    assert_eq!((access["method"].as_str(), access["status"].as_u64()), (Some("POST"), Some(201)), "{access}");
    assert_eq!(access["actor"], "operator");
    assert!(access["elapsed_ms"].as_f64().is_some(), "{access}");
}
