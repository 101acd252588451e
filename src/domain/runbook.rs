//! Runbooks: what a valid runbook is, the built-in catalogue, the parameter
//! values of a run, and what each runbook sends to SSM.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};

static DOCUMENT_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9_.:/-]{3,128}$").expect("static regex"));
static DOCUMENT_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\$DEFAULT|\$LATEST|[0-9]{1,8})$").expect("static regex"));
static PARAMETER_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z][a-zA-Z0-9_]{0,63}$").expect("static regex"));
static INSTANCE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(i|mi)-[0-9a-f]{8,17}$").expect("static regex"));
// SSM's MaxConcurrency and MaxErrors: a count or a percentage.
static RATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]{1,5}|[0-9]{1,2}%|100%)$").expect("static regex"));

/// Shortest runbook timeout.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest runbook timeout (SSM Run Command's limit).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(48 * 3600);

/// A parameter's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParameterType {
    String,
    /// Whole number.
    Integer,
    /// true or false.
    Boolean,
    /// Comma-separated texts.
    StringList,
}

/// A typed runbook parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    /// Name (letters, digits, underscore).
    pub name: String,
    pub kind: ParameterType,
    /// Whether a value is required (when there is no default).
    pub required: bool,
    /// Default value ("" for none).
    pub default_value: String,
    /// Anchored regular expression values must match ("" for any).
    pub allowed_pattern: String,
    /// Allowed values (empty for any).
    pub allowed_values: Vec<String>,
    /// What it is for.
    pub description: String,
}

impl Parameter {
    /// Checks a value against the type, pattern and allowed values.
    pub fn check_value(&self, value: &str) -> std::result::Result<(), String> {
        match self.kind {
            ParameterType::Integer if value.parse::<i64>().is_err() => {
                return Err(format!("{value:?} is not a whole number"));
            }
            ParameterType::Boolean if value != "true" && value != "false" => {
                return Err(format!("{value:?} is not true or false"));
            }
            _ => {}
        }
        if !self.allowed_values.is_empty() && !self.allowed_values.iter().any(|v| v == value) {
            return Err(format!(
                "{value:?} is not one of {}",
                self.allowed_values.join(", ")
            ));
        }
        if !self.allowed_pattern.is_empty() {
            let pattern = Regex::new(&format!("^(?:{})$", self.allowed_pattern))
                .map_err(|error| format!("allowed_pattern is invalid: {error}"))?;
            let parts: Vec<&str> = if self.kind == ParameterType::StringList {
                value.split(',').map(str::trim).collect()
            } else {
                vec![value]
            };
            if let Some(bad) = parts.iter().find(|part| !pattern.is_match(part)) {
                return Err(format!("{bad:?} does not match {}", self.allowed_pattern));
            }
        }
        Ok(())
    }
}

/// What kind of SSM document a runbook runs (the proto `RunbookKind` numbers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunbookKind {
    /// A Command document sent with SendCommand to each target instance.
    #[default]
    RunCommand = 1,
    /// An Automation document started with StartAutomationExecution.
    Automation = 2,
}

impl RunbookKind {
    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::RunCommand => "Run Command",
            Self::Automation => "Automation",
        }
    }
}

/// Where a runbook runs: instance ids, or tag selectors resolved per company.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// EC2 (`i-…`) or managed (`mi-…`) instance ids.
    pub instance_ids: Vec<String>,
    /// Tag key → allowed values.
    pub tags: Vec<(String, Vec<String>)>,
}

/// A runbook's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookSpec {
    pub name: String,
    /// What it does.
    pub description: String,
    /// SSM document name.
    pub document_name: String,
    /// SSM document version (`$DEFAULT`, `$LATEST` or a number).
    pub document_version: String,
    pub parameters: Vec<Parameter>,
    pub targets: Targets,
    pub timeout: Duration,
    /// SSM MaxConcurrency.
    pub max_concurrency: String,
    /// SSM MaxErrors.
    pub max_errors: String,
    /// Platform type numbers (proto PlatformType) it runs on; empty for any.
    pub platform_types: Vec<i32>,
    /// Run Command or Automation.
    pub kind: RunbookKind,
    /// Automation only: the document parameter that receives the target
    /// instance ids (e.g. `InstanceId`); "" when the document takes no
    /// instance and the runbook has no targets.
    pub target_parameter: String,
}

impl RunbookSpec {
    /// Whether runs have targets: every Run Command runbook, and Automation
    /// runbooks that pass instance ids in a target parameter.
    pub fn uses_targets(&self) -> bool {
        self.kind == RunbookKind::RunCommand || !self.target_parameter.is_empty()
    }

    /// Checks every field, naming the one that is wrong.
    pub fn validate(&self) -> Result<()> {
        crate::domain::tenant::validate_name("name", &self.name)?;
        if self.description.chars().count() > 2000 {
            return Err(Error::invalid(
                "description",
                "must be at most 2000 characters",
            ));
        }
        if !DOCUMENT_NAME.is_match(&self.document_name) {
            return Err(Error::invalid(
                "document_name",
                "must be an SSM document name: 3 to 128 of letters, digits and _.:/-",
            ));
        }
        if !DOCUMENT_VERSION.is_match(&self.document_version) {
            return Err(Error::invalid(
                "document_version",
                "must be $DEFAULT, $LATEST or a version number",
            ));
        }
        if self.parameters.len() > 50 {
            return Err(Error::invalid("parameters", "at most 50 parameters"));
        }
        let mut names = std::collections::HashSet::new();
        for (index, parameter) in self.parameters.iter().enumerate() {
            let field = format!("parameters[{index}]");
            if !PARAMETER_NAME.is_match(&parameter.name) {
                return Err(Error::invalid(
                    &format!("{field}.name"),
                    "must start with a letter; letters, digits and _ (at most 64)",
                ));
            }
            if !names.insert(parameter.name.as_str()) {
                return Err(Error::invalid(&format!("{field}.name"), "is used twice"));
            }
            if !parameter.allowed_pattern.is_empty() {
                regex::RegexBuilder::new(&format!("^(?:{})$", parameter.allowed_pattern))
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|error| {
                        Error::invalid(
                            &format!("{field}.allowed_pattern"),
                            format!("not a valid regular expression: {error}"),
                        )
                    })?;
            }
            if !parameter.default_value.is_empty() {
                parameter
                    .check_value(&parameter.default_value)
                    .map_err(|why| Error::invalid(&format!("{field}.default_value"), why))?;
            }
        }
        for (index, id) in self.targets.instance_ids.iter().enumerate() {
            if !INSTANCE_ID.is_match(id) {
                return Err(Error::invalid(
                    &format!("targets.instance_ids[{index}]"),
                    "must look like i-0123456789abcdef0 or mi-0123456789abcdef0",
                ));
            }
        }
        if self.targets.instance_ids.len() > 50 {
            return Err(Error::invalid(
                "targets.instance_ids",
                "at most 50 instance ids",
            ));
        }
        if self.targets.tags.len() > 5 {
            return Err(Error::invalid("targets.tags", "at most 5 tag selectors"));
        }
        for (index, (key, values)) in self.targets.tags.iter().enumerate() {
            if key.is_empty() || key.len() > 128 || values.is_empty() {
                return Err(Error::invalid(
                    &format!("targets.tags[{index}]"),
                    "needs a key of 1 to 128 characters and at least one value",
                ));
            }
        }
        if self.timeout < MIN_TIMEOUT || self.timeout > MAX_TIMEOUT {
            return Err(Error::invalid(
                "timeout",
                "must be between 30 seconds and 48 hours",
            ));
        }
        for (field, value) in [
            ("max_concurrency", &self.max_concurrency),
            ("max_errors", &self.max_errors),
        ] {
            if !RATE.is_match(value) {
                return Err(Error::invalid(
                    field,
                    "must be a count (e.g. 10) or a percentage (e.g. 25%)",
                ));
            }
        }
        if self.max_concurrency == "0" || self.max_concurrency == "0%" {
            return Err(Error::invalid("max_concurrency", "must be more than 0"));
        }
        if !self.target_parameter.is_empty() {
            if self.kind != RunbookKind::Automation {
                return Err(Error::invalid(
                    "target_parameter_name",
                    "is for Automation runbooks only",
                ));
            }
            if !PARAMETER_NAME.is_match(&self.target_parameter) {
                return Err(Error::invalid(
                    "target_parameter_name",
                    "must start with a letter; letters, digits and _ (at most 64)",
                ));
            }
            // The targets fill it: a declared parameter of the same name
            // would be sent twice.
            if self
                .parameters
                .iter()
                .any(|parameter| parameter.name == self.target_parameter)
            {
                return Err(Error::invalid(
                    "target_parameter_name",
                    "is filled from the targets and must not also be declared in parameters",
                ));
            }
        }
        if !self.uses_targets()
            && (!self.targets.instance_ids.is_empty() || !self.targets.tags.is_empty())
        {
            return Err(Error::invalid(
                "targets",
                "an Automation runbook without target_parameter_name takes no targets",
            ));
        }
        Ok(())
    }
}

fn parameter(
    name: &str,
    required: bool,
    default: &str,
    pattern: &str,
    description: &str,
) -> Parameter {
    Parameter {
        name: name.to_owned(),
        kind: ParameterType::String,
        required,
        default_value: default.to_owned(),
        allowed_pattern: pattern.to_owned(),
        allowed_values: Vec::new(),
        description: description.to_owned(),
    }
}

/// The built-in catalogue: (stable id, definition). They run AWS-RunShellScript
/// with our scripts (the execution fills the commands from the parameters).
pub fn built_in_runbooks() -> Vec<(&'static str, RunbookSpec)> {
    let linux = vec![1];
    let common = |name: &str, description: &str, parameters: Vec<Parameter>| RunbookSpec {
        name: name.to_owned(),
        description: description.to_owned(),
        document_name: "AWS-RunShellScript".to_owned(),
        document_version: "$DEFAULT".to_owned(),
        parameters,
        targets: Targets::default(),
        timeout: Duration::from_secs(600),
        max_concurrency: "10".to_owned(),
        max_errors: "0".to_owned(),
        platform_types: linux.clone(),
        kind: RunbookKind::RunCommand,
        target_parameter: String::new(),
    };
    let automation =
        |name: &str, description: &str, document: &str, target: &str, parameters| RunbookSpec {
            name: name.to_owned(),
            description: description.to_owned(),
            document_name: document.to_owned(),
            document_version: "$DEFAULT".to_owned(),
            parameters,
            targets: Targets::default(),
            timeout: Duration::from_secs(1800),
            max_concurrency: "10".to_owned(),
            max_errors: "0".to_owned(),
            platform_types: Vec::new(),
            kind: RunbookKind::Automation,
            target_parameter: target.to_owned(),
        };
    let assume_role = parameter(
        "AutomationAssumeRole",
        false,
        "",
        r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}",
        "Role the automation runs as; empty: the company's role (then iam:PassRole is not needed)",
    );
    vec![
        (
            "builtin-disk-cleanup",
            common(
                "Disk cleanup",
                "Frees space on a full filesystem: package caches, journal above a size, old rotated logs and temporary files older than a week.",
                vec![
                    parameter(
                        "mount_point",
                        true,
                        "/",
                        r"/[A-Za-z0-9_./-]*",
                        "Filesystem to clean, e.g. /var",
                    ),
                    parameter(
                        "journal_max_size",
                        false,
                        "500M",
                        r"[0-9]{1,5}[KMG]",
                        "Largest systemd journal to keep",
                    ),
                ],
            ),
        ),
        (
            "builtin-service-restart",
            common(
                "Service restart",
                "Restarts a hung systemd service and checks that it is active again.",
                vec![parameter(
                    "service_name",
                    true,
                    "",
                    r"[A-Za-z0-9@._-]{1,128}",
                    "systemd unit to restart, e.g. nginx",
                )],
            ),
        ),
        (
            "builtin-log-rotation",
            common(
                "Log rotation",
                "Rotates a runaway log in place: copies it aside, truncates it (the writer keeps its file handle) and compresses the copy.",
                vec![parameter(
                    "log_path",
                    true,
                    "",
                    r"/[A-Za-z0-9_./*-]+",
                    "Log file or glob, e.g. /var/log/app/*.log",
                )],
            ),
        ),
        (
            "builtin-restart-ec2-instance",
            automation(
                "Restart EC2 instance",
                "Stops and starts the EC2 instances with the AWS-owned Automation document AWS-RestartEC2Instance.",
                "AWS-RestartEC2Instance",
                "InstanceId",
                vec![assume_role.clone()],
            ),
        ),
        (
            "builtin-create-snapshot",
            automation(
                "Create EBS snapshot",
                "Snapshots an EBS volume with the AWS-owned Automation document AWS-CreateSnapshot, e.g. before a risky fix.",
                "AWS-CreateSnapshot",
                "",
                vec![
                    parameter(
                        "VolumeId",
                        true,
                        "",
                        r"vol-[0-9a-f]{8,17}",
                        "EBS volume to snapshot, e.g. vol-0123456789abcdef0",
                    ),
                    parameter(
                        "Description",
                        false,
                        "alert-whisperer snapshot",
                        r"[^\x00]{0,255}",
                        "Snapshot description",
                    ),
                    assume_role,
                ],
            ),
        ),
    ]
}

/// Parameter values for a run: `given` values checked, defaults filled in,
/// required ones present. `field` prefixes error fields (e.g. "parameters").
pub fn resolve_parameters(
    field: &str,
    runbook: &RunbookSpec,
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    if let Some(unknown) = given
        .keys()
        .find(|name| !runbook.parameters.iter().any(|p| &p.name == *name))
    {
        return Err(Error::invalid(
            &format!("{field}[{unknown}]"),
            format!("runbook {:?} has no such parameter", runbook.name),
        ));
    }
    let mut values = BTreeMap::new();
    for parameter in &runbook.parameters {
        let value = given
            .get(&parameter.name)
            .filter(|value| !value.is_empty())
            .cloned()
            .unwrap_or_else(|| parameter.default_value.clone());
        if value.is_empty() {
            if parameter.required {
                return Err(Error::invalid(
                    &format!("{field}[{}]", parameter.name),
                    "is required and has no default",
                ));
            }
            continue;
        }
        parameter
            .check_value(&value)
            .map_err(|why| Error::invalid(&format!("{field}[{}]", parameter.name), why))?;
        values.insert(parameter.name.clone(), value);
    }
    Ok(values)
}

/// Quotes a value for a POSIX shell.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The SSM `Parameters` of a run: built-in runbooks send our script as
/// AWS-RunShellScript's `commands`; custom ones send their values (a string
/// list as a JSON array or comma-separated).
pub fn ssm_parameters(
    runbook_id: &str,
    runbook: &RunbookSpec,
    values: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<String>> {
    let value = |name: &str| values.get(name).cloned().unwrap_or_default();
    let script: Option<Vec<String>> = match runbook_id {
        "builtin-disk-cleanup" => Some(vec![
            "set -u".to_owned(),
            format!("MP={}", shell_quote(&value("mount_point"))),
            "echo before; df -P \"$MP\" | tail -n 1".to_owned(),
            "(command -v apt-get >/dev/null && apt-get clean) || (command -v yum >/dev/null && yum clean all) || true".to_owned(),
            format!(
                "(command -v journalctl >/dev/null && journalctl --vacuum-size={}) || true",
                shell_quote(&value("journal_max_size"))
            ),
            "find \"$MP\" -xdev -path '*/log/*' -type f -name '*.[0-9].gz' -mtime +7 -delete 2>/dev/null || true".to_owned(),
            "find /tmp /var/tmp -xdev -type f -mtime +7 -delete 2>/dev/null || true".to_owned(),
            "echo after; df -P \"$MP\" | tail -n 1".to_owned(),
        ]),
        "builtin-service-restart" => {
            let service = shell_quote(&value("service_name"));
            Some(vec![
                "set -eu".to_owned(),
                format!("systemctl restart {service}"),
                "sleep 2".to_owned(),
                format!("systemctl is-active {service}"),
            ])
        }
        // The pattern allows only [A-Za-z0-9_./*-]: safe to leave unquoted
        // so that the shell expands the glob.
        "builtin-log-rotation" => Some(vec![
            "set -u".to_owned(),
            "rotated=0".to_owned(),
            format!("for f in {}; do", value("log_path")),
            "  [ -f \"$f\" ] || continue".to_owned(),
            "  ts=$(date +%Y%m%d%H%M%S)".to_owned(),
            "  cp -p \"$f\" \"$f.$ts\" && : > \"$f\" && gzip -f \"$f.$ts\" && rotated=$((rotated+1)) && echo \"rotated $f\"".to_owned(),
            "done".to_owned(),
            "echo \"$rotated file(s) rotated\"".to_owned(),
        ]),
        _ => None,
    };
    if let Some(commands) = script {
        // AWS-RunShellScript's own run-time limit; SendCommand's
        // TimeoutSeconds only bounds delivery.
        return BTreeMap::from([
            ("commands".to_owned(), commands),
            (
                "executionTimeout".to_owned(),
                vec![runbook.timeout.as_secs().to_string()],
            ),
        ]);
    }
    runbook
        .parameters
        .iter()
        .filter_map(|parameter| {
            let value = values.get(&parameter.name)?;
            let list = if parameter.kind == ParameterType::StringList {
                serde_json::from_str::<Vec<String>>(value).unwrap_or_else(|_| {
                    value
                        .split(',')
                        .map(|part| part.trim().to_owned())
                        .collect()
                })
            } else {
                vec![value.clone()]
            };
            Some((parameter.name.clone(), list))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_take_defaults_and_refuse_bad_or_missing_values() {
        let (_, disk) = built_in_runbooks().remove(0);
        let values = resolve_parameters("parameters", &disk, &BTreeMap::new()).expect("defaults");
        assert_eq!(values["mount_point"], "/");
        assert_eq!(values["journal_max_size"], "500M");
        let bad = BTreeMap::from([("mount_point".to_owned(), "/var; rm -rf /".to_owned())]);
        let error = resolve_parameters("parameters", &disk, &bad).expect_err("pattern");
        assert!(
            error.to_string().starts_with("parameters[mount_point]"),
            "{error}"
        );
        let unknown = BTreeMap::from([("nope".to_owned(), "1".to_owned())]);
        assert!(resolve_parameters("parameters", &disk, &unknown).is_err());
        let (_, restart) = built_in_runbooks().remove(1);
        let error =
            resolve_parameters("parameters", &restart, &BTreeMap::new()).expect_err("required");
        assert!(error.to_string().contains("service_name"), "{error}");
    }

    #[test]
    fn built_in_scripts_quote_their_values() {
        let (id, restart) = built_in_runbooks().remove(1);
        let values = BTreeMap::from([("service_name".to_owned(), "nginx".to_owned())]);
        let sent = ssm_parameters(id, &restart, &values);
        let commands = &sent["commands"];
        assert!(commands.contains(&"systemctl restart 'nginx'".to_owned()));
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }

    fn spec() -> RunbookSpec {
        built_in_runbooks().remove(1).1
    }

    #[test]
    fn built_ins_are_valid() {
        for (id, runbook) in built_in_runbooks() {
            runbook
                .validate()
                .unwrap_or_else(|error| panic!("{id}: {error}"));
        }
    }

    #[test]
    fn bad_fields_are_named() {
        type Change = Box<dyn Fn(&mut RunbookSpec)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|s| s.document_name = "x".into()), "document_name"),
            (
                Box::new(|s| s.document_version = "latest".into()),
                "document_version",
            ),
            (Box::new(|s| s.timeout = Duration::from_secs(5)), "timeout"),
            (
                Box::new(|s| s.max_concurrency = "0".into()),
                "max_concurrency",
            ),
            (Box::new(|s| s.max_errors = "ten".into()), "max_errors"),
            (
                Box::new(|s| s.targets.instance_ids = vec!["host-1".into()]),
                "targets.instance_ids[0]",
            ),
            (
                Box::new(|s| s.parameters[0].name = "1bad".into()),
                "parameters[0].name",
            ),
            (
                Box::new(|s| s.parameters[0].allowed_pattern = "(".into()),
                "parameters[0].allowed_pattern",
            ),
            (
                Box::new(|s| s.parameters[0].default_value = "bad name!".into()),
                "parameters[0].default_value",
            ),
        ];
        for (change, field) in cases {
            let mut runbook = spec();
            change(&mut runbook);
            let error = runbook.validate().expect_err(field);
            assert!(error.to_string().starts_with(field), "{field}: {error}");
        }
    }

    #[test]
    fn automation_target_parameters_are_checked() {
        let mut automation = built_in_runbooks()
            .into_iter()
            .find(|(id, _)| *id == "builtin-restart-ec2-instance")
            .expect("built in")
            .1;
        assert!(automation.uses_targets());
        automation.target_parameter = "1bad".into();
        let error = automation.validate().expect_err("bad name");
        assert!(
            error.to_string().starts_with("target_parameter_name"),
            "{error}"
        );
        automation.target_parameter = "AutomationAssumeRole".into();
        assert!(automation.validate().is_err(), "declared twice");
        automation.target_parameter = String::new();
        assert!(!automation.uses_targets());
        automation.targets.instance_ids = vec!["i-0123456789abcdef0".into()];
        let error = automation.validate().expect_err("no targets");
        assert!(error.to_string().starts_with("targets"), "{error}");
        let mut command = spec();
        command.target_parameter = "InstanceId".into();
        assert!(command.validate().is_err(), "Automation only");
    }

    #[test]
    fn parameter_values_are_typed() {
        let mut integer = parameter("n", true, "", "", "");
        integer.kind = ParameterType::Integer;
        assert!(integer.check_value("12").is_ok());
        assert!(integer.check_value("twelve").is_err());
        let mut list = parameter("paths", true, "", "/[a-z]+", "");
        list.kind = ParameterType::StringList;
        assert!(list.check_value("/var, /tmp").is_ok());
        assert!(list.check_value("/var,tmp").is_err());
        let mut choice = parameter("mode", true, "", "", "");
        choice.allowed_values = vec!["fast".into(), "safe".into()];
        assert!(choice.check_value("safe").is_ok());
        assert!(choice.check_value("yolo").is_err());
    }
}
