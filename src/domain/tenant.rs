//! Rules for tenant data: what a valid company, technician, role or AWS role is.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use super::error::{Error, Result};

/// Longest name of a company, technician or token.
pub const MAX_NAME_LEN: usize = 200;
/// Default overlap of an API key or HMAC rotation.
pub const DEFAULT_ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);
/// Longest overlap of an API key or HMAC rotation.
pub const MAX_ROTATION_OVERLAP: Duration = Duration::from_secs(30 * 24 * 3600);

static ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    // arn:<partition>:iam::<account>:role/<optional path/><name>; IAM allows
    // [\w+=,.@-] in names and paths of up to 512 characters.
    Regex::new(
        r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}$",
    )
    .expect("static regex")
});
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^@\s]+@[^@\s]+\.[^@\s]+$").expect("static regex"));
static SKILL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9_.+-]{0,63}$").expect("static regex"));
static SLACK_MEMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[UW][A-Z0-9]{2,20}$").expect("static regex"));

/// An operator's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads only.
    Viewer,
    /// Works incidents and runbooks.
    Technician,
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Technician => "technician",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(Role::Admin),
            "technician" => Some(Role::Technician),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// Trims `value` and checks it is a non-empty name of at most [`MAX_NAME_LEN`] characters.
pub fn validate_name(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.chars().count() > MAX_NAME_LEN {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// Checks an optional e-mail address (empty is allowed unless `required`).
pub fn validate_email(field: &str, value: &str, required: bool) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return if required {
            Err(Error::invalid(field, "must not be empty"))
        } else {
            Ok(String::new())
        };
    }
    if value.len() > 320 || !EMAIL.is_match(value) {
        return Err(Error::invalid(field, "is not an e-mail address"));
    }
    Ok(value.to_owned())
}

/// Checks an optional website (http or https URL, or a bare host name).
pub fn validate_website(value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    if value.len() > 500 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("website", "is not a URL"));
    }
    Ok(value.to_owned())
}

/// Checks a cross-account role: both empty clears it; otherwise both must be valid.
pub fn validate_aws_role(role_arn: &str, external_id: &str) -> Result<Option<(String, String)>> {
    let (role_arn, external_id) = (role_arn.trim(), external_id.trim());
    match (role_arn.is_empty(), external_id.is_empty()) {
        (true, true) => return Ok(None),
        (false, true) => {
            return Err(Error::invalid(
                "external_id",
                "is required with a role ARN (it prevents the confused-deputy problem)",
            ));
        }
        (true, false) => {
            return Err(Error::invalid(
                "role_arn",
                "is required with an external ID",
            ));
        }
        (false, false) => {}
    }
    if !ROLE_ARN.is_match(role_arn) {
        return Err(Error::invalid(
            "role_arn",
            "must look like arn:aws:iam::123456789012:role/Name",
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c);
    if !(2..=1224).contains(&external_id.len()) || !external_id.chars().all(allowed) {
        return Err(Error::invalid(
            "external_id",
            "must be 2 to 1224 characters of letters, digits and +=,.@:/-",
        ));
    }
    Ok(Some((role_arn.to_owned(), external_id.to_owned())))
}

/// Normalises skills: lower-case, trimmed, unique, sorted.
pub fn validate_skills(skills: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(skills.len());
    for (index, skill) in skills.iter().enumerate() {
        let skill = skill.trim().to_lowercase();
        if !SKILL.is_match(&skill) {
            return Err(Error::invalid(
                &format!("skills[{index}]"),
                "must be 1 to 64 characters of a-z, 0-9 and _.+-",
            ));
        }
        out.push(skill);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Checks a Slack member id ("U024BE7LH"); empty means none. A member id,
/// unlike a display name, is what a `<@…>` mention needs.
pub fn validate_slack_member_id(member: &str) -> Result<String> {
    let member = member.trim();
    if member.is_empty() || SLACK_MEMBER.is_match(member) {
        Ok(member.to_owned())
    } else {
        Err(Error::invalid(
            "slack_member_id",
            "must be a Slack member id: U or W and 2 to 20 upper-case letters or digits (Slack: profile → ⋮ → Copy member ID)",
        ))
    }
}

/// Checks a rotation overlap, defaulting to [`DEFAULT_ROTATION_OVERLAP`].
pub fn rotation_overlap(requested: Option<Duration>) -> Result<Duration> {
    match requested {
        None => Ok(DEFAULT_ROTATION_OVERLAP),
        Some(overlap) if overlap > MAX_ROTATION_OVERLAP => {
            Err(Error::invalid("overlap", "must be at most 30 days"))
        }
        Some(overlap) => Ok(overlap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_role_requires_both_parts_and_valid_arn() {
        assert_eq!(validate_aws_role("", "").expect("clears"), None);
        assert!(validate_aws_role("arn:aws:iam::123456789012:role/AW", "").is_err());
        assert!(validate_aws_role("", "ext-id").is_err());
        assert!(validate_aws_role("arn:aws:iam::12345:role/AW", "ext-id").is_err());
        assert!(validate_aws_role("arn:aws:s3:::bucket", "ext-id").is_err());
        assert!(validate_aws_role("arn:aws:iam::123456789012:role/AW", "x").is_err());
        let ok = validate_aws_role("arn:aws:iam::123456789012:role/msp/AlertWhisperer", "ext-1")
            .expect("valid");
        assert!(ok.is_some());
        assert!(
            validate_aws_role("arn:aws-us-gov:iam::123456789012:role/AW", "ext-1")
                .expect("gov partition")
                .is_some()
        );
    }

    #[test]
    fn names_and_emails_are_checked() {
        assert!(validate_name("name", "  ").is_err());
        assert_eq!(validate_name("name", " Acme ").expect("trimmed"), "Acme");
        assert!(validate_name("name", &"x".repeat(201)).is_err());
        assert!(validate_email("email", "nope", true).is_err());
        assert!(validate_email("email", "", true).is_err());
        assert_eq!(validate_email("email", "", false).expect("optional"), "");
        assert!(validate_email("email", "a@b.io", true).is_ok());
    }

    #[test]
    fn skills_are_normalised() {
        let skills =
            validate_skills(&["Linux".into(), "linux".into(), "network".into()]).expect("valid");
        assert_eq!(skills, vec!["linux", "network"]);
        let error = validate_skills(&["ok".into(), "bad skill".into()]).expect_err("space");
        assert!(error.to_string().contains("skills[1]"));
    }

    #[test]
    fn roles_order_by_power() {
        assert!(Role::Admin > Role::Technician && Role::Technician > Role::Viewer);
        assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
        assert_eq!(Role::parse("root"), None);
    }
}
