//! The template language of remediation rules: text with `{{asset}}`,
//! `{{labels.name}}`, … and `{{incident_id}}`, rendered for the alert that
//! opened an incident into a runbook's parameter values and targets.

use super::correlation::{AlertFields, AlertRef, MATCHER_FIELDS};
use super::error::{Error, Result};
use super::runbook::Targets;

/// One piece of a template: text or a `{{reference}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(AlertRef),
    IncidentId,
}

fn parse_template(template: &str) -> std::result::Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("{{{{ without }}}} in {template:?}"))?;
        let reference = after[..end].trim();
        if reference == "incident_id" {
            pieces.push(Piece::IncidentId);
        } else {
            pieces.push(Piece::Field(AlertRef::parse(reference, MATCHER_FIELDS)?));
        }
        rest = &after[end + 2..];
    }
    if rest.contains("}}") {
        return Err(format!("}}}} without {{{{ in {template:?}"));
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Ok(pieces)
}

/// Checks a template's syntax and references.
pub fn check_template(field: &str, template: &str) -> Result<()> {
    if template.len() > 4096 {
        return Err(Error::invalid(field, "must be at most 4096 bytes"));
    }
    parse_template(template)
        .map(|_| ())
        .map_err(|why| Error::invalid(field, why))
}

/// Renders a (checked) template for an alert and incident.
pub fn render(template: &str, alert: &impl AlertFields, incident_id: &str) -> String {
    let Ok(pieces) = parse_template(template) else {
        return template.to_owned();
    };
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text,
            Piece::Field(reference) => alert.value_of(&reference),
            Piece::IncidentId => incident_id.to_owned(),
        })
        .collect()
}

/// Renders a rule's target templates for an alert and incident (empty
/// rendered instance ids are dropped).
pub fn render_targets(targets: &Targets, alert: &impl AlertFields, incident_id: &str) -> Targets {
    Targets {
        instance_ids: targets
            .instance_ids
            .iter()
            .map(|id| render(id, alert, incident_id))
            .filter(|id| !id.is_empty())
            .collect(),
        tags: targets
            .tags
            .iter()
            .map(|(key, values)| {
                (
                    key.clone(),
                    values
                        .iter()
                        .map(|value| render(value, alert, incident_id))
                        .collect(),
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::execution::AlertView;

    #[test]
    fn templates_render_fields_labels_and_the_incident() {
        let text = render(
            "{{ asset }} {{labels.mountpoint}} {{labels.missing}}|{{incident_id}}",
            &AlertView::example(),
            "inc-1",
        );
        assert_eq!(text, "i-0123456789abcdef0 /var |inc-1");
        assert!(check_template("t", "{{labels.x}}").is_ok());
        let error = check_template("t", "{{hostname}}").expect_err("unknown field");
        assert!(error.to_string().contains("hostname"), "{error}");
        assert!(check_template("t", "{{asset").is_err());
        assert!(check_template("t", "asset}}").is_err());
    }
}
