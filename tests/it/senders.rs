//! The senders' own tools: the configurations in docs/ pass the checker of
//! the version they name, and the real sender delivers through them.
//!
//! Alertmanager here is Debian's `prometheus-alertmanager` (0.25), which
//! `.ci/run` installs. Without it these tests fail under CI and are skipped,
//! saying so, elsewhere.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::harness::{Backend, TestServer};
use crate::ingest::{stored_events, tenant};

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";
const AMTOOL: &str = "/usr/bin/amtool";
const ALERTMANAGER_DOC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/integrations/alertmanager.md"
);

/// Whether `tool` is there; under CI its absence fails the test.
fn have(tool: &str) -> bool {
    if Path::new(tool).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is missing: .ci/run installs prometheus-alertmanager"
    );
    eprintln!("skipped: {tool} is missing (apt-get install prometheus-alertmanager)");
    false
}

/// The fenced blocks of `language` in a Markdown file, without their
/// indentation (blocks inside list items are indented).
fn fenced_blocks(markdown: &str, language: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut current {
            None if trimmed == format!("```{language}") => current = Some((indent, String::new())),
            Some(_) if trimmed == "```" => {
                if let Some((_, block)) = current.take() {
                    blocks.push(block);
                }
            }
            Some((block_indent, block)) => {
                block.push_str(line.get(*block_indent..).unwrap_or(trimmed));
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Runs `amtool check-config` on a configuration; its output on failure.
fn check_config(dir: &Path, name: &str, config: &str) -> Result<(), String> {
    let path = dir.join(name);
    std::fs::write(&path, config).unwrap();
    let output = std::process::Command::new(AMTOOL)
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[test]
fn alertmanager_configs_in_the_docs_pass_amtool_check_config() {
    if !have(AMTOOL) {
        return;
    }
    let doc = std::fs::read_to_string(ALERTMANAGER_DOC).unwrap();
    let configs = fenced_blocks(&doc, "yaml");
    assert!(!configs.is_empty(), "no yaml block in {ALERTMANAGER_DOC}");
    let dir = tempfile::tempdir().unwrap();
    for (n, config) in configs.iter().enumerate() {
        if let Err(output) = check_config(dir.path(), &format!("doc-{n}.yml"), config) {
            panic!(
                "block {n} of {ALERTMANAGER_DOC} fails amtool check-config:\n{config}\n{output}"
            );
        }
    }
    // The checker does check: what the page says 0.25 refuses, it refuses.
    let with_url_file = configs[0].replace(
        "url: https://aw.example.com/api/webhooks/alertmanager",
        "url_file: /etc/alertmanager/alert-whisperer.url",
    );
    assert_ne!(with_url_file, configs[0], "the first block names the url");
    let refused = check_config(dir.path(), "url-file.yml", &with_url_file)
        .expect_err("amtool 0.25 refuses url_file");
    assert!(refused.contains("url_file"), "{refused}");
}

#[tokio::test]
async fn a_real_alertmanager_sends_its_key_as_a_bearer_token() {
    if !have(ALERTMANAGER) {
        return;
    }
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let dir = tempfile::tempdir().unwrap();
    let key_file: PathBuf = dir.path().join("alert-whisperer.key");
    std::fs::write(&key_file, &acme.key).unwrap();

    // The documented configuration, pointed at this server and made quick.
    let doc = std::fs::read_to_string(ALERTMANAGER_DOC).unwrap();
    let config = fenced_blocks(&doc, "yaml")[0]
        .replace("https://aw.example.com", &server.url())
        .replace(
            "/etc/alertmanager/alert-whisperer.key",
            key_file.to_str().unwrap(),
        )
        .replace("group_wait: 30s", "group_wait: 0s");
    assert!(config.contains(key_file.to_str().unwrap()), "{config}");
    let config_file = dir.path().join("alertmanager.yml");
    std::fs::write(&config_file, &config).unwrap();

    // Alertmanager takes no port 0.
    let port = crate::server::free_port();
    let _alertmanager = tokio::process::Command::new(ALERTMANAGER)
        .arg(format!("--config.file={}", config_file.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(response) = http.get(format!("{base}/-/ready")).send().await
            && response.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "alertmanager did not become ready");

    // A client posts an alert to Alertmanager, which notifies us.
    let posted = http
        .post(format!("{base}/api/v2/alerts"))
        .json(&serde_json::json!([{
            "labels": {"alertname": "NodeDiskFull", "instance": "web-07:9100", "severity": "critical"},
            "annotations": {"summary": "disk / on web-07 is 98% full"},
        }]))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);

    let mut events = Vec::new();
    for _ in 0..300 {
        events = stored_events(&server, &acme.id).await;
        if !events.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = events
        .first()
        .expect("alertmanager delivered within 30 s with its bearer key");
    assert_eq!(event.source, "alertmanager");
    assert_eq!(event.asset, "web-07");
    assert_eq!(event.signature, "NodeDiskFull");
    assert_eq!(event.message, "disk / on web-07 is 98% full");
}
