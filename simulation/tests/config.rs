//! The operator's center file: a small one runs; mistakes get errors that name the field.

use tandem_simulation::{run, CenterConfig, SimOptions};

const SMALL: &str = r#"
[[skill]]
name = "Sales"

[[team]]
name = "Floor"

[[agent]]
login = "ana"
team = "Floor"
skills = { Sales = 7 }

[[agent]]
login = "ben"
team = "Floor"
skills = { Sales = 4 }

[[csq]]
name = "Sales Chat"
channel = "chat"
selection = "most_skilled"
skills = { Sales = 1 }

[generated]
count = 10
teams = 2

[traffic]
calls_per_minute = 0
chats_per_minute = 30
emails_per_minute = 0
"#;

#[test]
fn an_operators_center_runs_under_faults() {
    let center = CenterConfig::parse(SMALL, "small.toml").unwrap();
    assert_eq!(center.agent_count(), 12);
    let mut options = SimOptions::new(3, 15_000);
    options.center = center;
    let report = run(&options);
    assert!(report.passed(), "{:?}", report.violations);
    assert!(report.contacts_injected > 0);
}

#[test]
fn mistakes_in_a_center_file_are_named() {
    let check = |text: &str, expected: &str| {
        let error = CenterConfig::parse(text, "c.toml").unwrap_err().to_string();
        assert!(error.contains(expected), "{error}");
    };
    check("[[skill]]\nname = 1\n", "c.toml is not a valid center file");
    check("[[csq]]\nname = \"Q\"\nchannel = \"fax\"\nselection = \"most_skilled\"\nskills = {}\n", "fax");
    check(
        "[[skill]]\nname = \"A\"\n[[csq]]\nname = \"Q\"\nchannel = \"chat\"\nselection = \"most_skilled\"\nskills = { B = 1 }\n",
        "csq 'Q' names unknown skill 'B'",
    );
    check("[[skill]]\nname = \"A\"\n[[agent]]\nlogin = \"x\"\n", "at least one [[csq]]");
    check("colour = \"blue\"\n", "unknown field");
    let center = CenterConfig::parse(SMALL, "c.toml").unwrap();
    let mut bad = center.clone();
    bad.agents[0].skills.insert("Sales".into(), 11);
    let mut options = SimOptions::new(1, 10_000);
    options.center = bad;
    let report = run(&options);
    let violation = report.violations.first().expect("a refused agent stops the run");
    assert!(violation.detail.contains("the center refused agent 'ana'"), "{violation:?}");
}
