//! A channel as asked for, and its checks: the URLs, the PagerDuty key, the
//! SMTP settings and mailboxes; what the channel shows as its target, and
//! the secret it keeps.

use crate::domain::ingest::is_http_url;
use crate::domain::notification::{
    ChannelConfig, EmailConfig, MAX_RECIPIENTS, MAX_URL_CHARS, PAGERDUTY_EVENTS_URL, SmtpSecurity,
    new_signing_secret,
};
use crate::error::{Error, Result};

/// A channel to create, as asked for (not yet checked).
#[derive(Debug, Clone)]
pub struct ChannelDraft {
    pub company_id: String,
    /// Name, unique within the company.
    pub name: String,
    /// Attempts before a delivery is dead-lettered; 0 for the default.
    pub max_attempts: i32,
    /// Most messages per minute; 0 for no limit.
    pub max_per_minute: i32,
    /// Where it sends; `None` when no kind was given.
    pub settings: Option<ChannelSettings>,
}

/// Where a channel sends, by kind, as asked for.
#[derive(Debug, Clone)]
pub enum ChannelSettings {
    /// A Standard Webhooks receiver.
    Webhook {
        url: String,
    },
    /// A Slack incoming webhook.
    Slack {
        /// The webhook URL (a credential).
        webhook_url: String,
    },
    /// A Teams incoming webhook or Workflows URL.
    Teams {
        /// The webhook URL (a credential).
        webhook_url: String,
    },
    /// PagerDuty Events v2.
    PagerDuty {
        routing_key: String,
        /// The Events API URL; empty for PagerDuty's.
        events_url: String,
    },
    Email(EmailSettings),
}

/// An email channel's settings, as asked for.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub smtp_host: String,
    /// SMTP port; 0 for the security's usual port.
    pub smtp_port: u32,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// User name; empty for none.
    pub username: String,
    /// Password; empty for none.
    pub password: String,
    /// Sender mailbox.
    pub from: String,
    /// Recipients; empty for the technicians the route pages.
    pub to: Vec<String>,
    /// A CA certificate (PEM) the server's certificate must chain to.
    pub ca_certificate_pem: String,
}

/// A URL a channel posts to.
fn url_of(field: &str, url: &str) -> Result<String> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    if !is_http_url(url) || url.parse::<http::Uri>().is_err() {
        return Err(Error::invalid(
            field,
            "must be an http:// or https:// URL with a host",
        ));
    }
    Ok(url.to_owned())
}

/// The hosts a channel sends to, by field.
pub(super) fn destination_hosts(settings: Option<&ChannelSettings>) -> Vec<(&'static str, String)> {
    match settings {
        Some(ChannelSettings::Webhook { url }) => vec![("webhook.url", host_of(url))],
        Some(ChannelSettings::Slack { webhook_url }) => {
            vec![("slack.webhook_url", host_of(webhook_url))]
        }
        Some(ChannelSettings::Teams { webhook_url }) => {
            vec![("teams.webhook_url", host_of(webhook_url))]
        }
        Some(ChannelSettings::PagerDuty { events_url, .. }) if !events_url.trim().is_empty() => {
            vec![("pagerduty.events_url", host_of(events_url))]
        }
        Some(ChannelSettings::Email(email)) => {
            vec![("email.smtp_host", email.smtp_host.trim().to_owned())]
        }
        _ => Vec::new(),
    }
}

/// The host of a URL that is a credential, to show instead of it.
fn host_of(url: &str) -> String {
    url.trim()
        .parse::<http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned))
        .unwrap_or_default()
}

fn mailbox_of(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    text.parse::<lettre::message::Mailbox>()
        .map_err(|error| Error::invalid(field, format!("is not an e-mail address: {error}")))?;
    Ok(text.to_owned())
}

/// The channel's settings, what it shows as its target, and its secret.
pub(super) fn channel_config_of(
    settings: Option<&ChannelSettings>,
) -> Result<(ChannelConfig, String, Option<String>)> {
    match settings {
        None => Err(Error::invalid(
            "config",
            "set one of webhook, slack, teams, email and pagerduty",
        )),
        Some(ChannelSettings::Webhook { url }) => {
            let url = url_of("webhook.url", url)?;
            Ok((
                ChannelConfig::Webhook { url: url.clone() },
                url,
                Some(new_signing_secret()),
            ))
        }
        Some(ChannelSettings::Slack { webhook_url }) => {
            let url = url_of("slack.webhook_url", webhook_url)?;
            Ok((ChannelConfig::Slack, host_of(&url), Some(url)))
        }
        Some(ChannelSettings::Teams { webhook_url }) => {
            let url = url_of("teams.webhook_url", webhook_url)?;
            Ok((ChannelConfig::Teams, host_of(&url), Some(url)))
        }
        Some(ChannelSettings::PagerDuty {
            routing_key,
            events_url,
        }) => {
            let key = routing_key.trim();
            if key.is_empty()
                || key.len() > 64
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(Error::invalid(
                    "pagerduty.routing_key",
                    "must be 1–64 letters and digits (the integration key)",
                ));
            }
            let events_url = if events_url.trim().is_empty() {
                PAGERDUTY_EVENTS_URL.to_owned()
            } else {
                url_of("pagerduty.events_url", events_url)?
            };
            Ok((
                ChannelConfig::PagerDuty {
                    events_url: events_url.clone(),
                },
                events_url,
                Some(key.to_owned()),
            ))
        }
        Some(ChannelSettings::Email(email)) => email_config_of(email),
    }
}

fn email_config_of(email: &EmailSettings) -> Result<(ChannelConfig, String, Option<String>)> {
    let host = email.smtp_host.trim();
    if host.is_empty() || host.len() > 253 || host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(Error::invalid(
            "email.smtp_host",
            "must be a host name or address (at most 253 characters)",
        ));
    }
    let security = email.security;
    let port = match email.smtp_port {
        0 => match security {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        },
        port => u16::try_from(port)
            .map_err(|_| Error::invalid("email.smtp_port", "must be between 1 and 65535"))?,
    };
    if email.username.chars().count() > 256 || email.password.chars().count() > 1024 {
        return Err(Error::invalid(
            "email.username",
            "user name at most 256 and password at most 1024 characters",
        ));
    }
    if email.username.trim().is_empty() && !email.password.is_empty() {
        return Err(Error::invalid(
            "email.username",
            "is required when a password is given",
        ));
    }
    let from = mailbox_of("email.from", &email.from)?;
    if email.to.len() > MAX_RECIPIENTS {
        return Err(Error::invalid(
            "email.to",
            format!("at most {MAX_RECIPIENTS} recipients"),
        ));
    }
    let to = email
        .to
        .iter()
        .enumerate()
        .map(|(index, to)| mailbox_of(&format!("email.to[{index}]"), to))
        .collect::<Result<Vec<_>>>()?;
    if email.ca_certificate_pem.len() > 64 * 1024 {
        return Err(Error::invalid(
            "email.ca_certificate_pem",
            "must be at most 64 KiB",
        ));
    }
    if !email.ca_certificate_pem.trim().is_empty() {
        lettre::transport::smtp::client::Certificate::from_pem(email.ca_certificate_pem.as_bytes())
            .map_err(|error| {
                Error::invalid(
                    "email.ca_certificate_pem",
                    format!("is not a PEM certificate: {error}"),
                )
            })?;
    }
    let target = format!(
        "smtp {host}:{port} → {}",
        if to.is_empty() {
            "technicians".to_owned()
        } else {
            to.join(", ")
        }
    );
    let secret = (!email.password.is_empty()).then(|| email.password.clone());
    Ok((
        ChannelConfig::Email(EmailConfig {
            host: host.to_owned(),
            port,
            security,
            username: email.username.trim().to_owned(),
            from,
            to,
            ca_certificate_pem: email.ca_certificate_pem.trim().to_owned(),
        }),
        target,
        secret,
    ))
}
