//! Watches a company's incidents and acknowledges each new one: prints every
//! change, and on an incident's creation acknowledges it with an operator
//! token. Reconnects after an error, resuming after the last sequence it saw
//! (events or heartbeats), so it misses nothing and repeats nothing.
//!
//! ```sh
//! AW_TOKEN=awo_... AW_COMPANY_ID=... \
//!   cargo run -p alert-whisperer-client --example watch_and_ack -- http://127.0.0.1:8080
//! ```

use std::time::Duration;

use alert_whisperer_client::{BearerToken, v1};
use v1::watch_incidents_response::Payload;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let token = std::env::var("AW_TOKEN")?;
    let company_id = std::env::var("AW_COMPANY_ID")?;
    let channel = tonic::transport::Channel::from_shared(url)?.connect_lazy();
    let mut incidents = v1::incident_service_client::IncidentServiceClient::with_interceptor(
        channel,
        BearerToken::new(&token)?,
    );
    // None: start live (the first message is a heartbeat with the position).
    let mut position: Option<u64> = None;
    loop {
        let request = v1::WatchIncidentsRequest {
            company_id: company_id.clone(),
            after_sequence: position,
            ..Default::default()
        };
        let mut stream = match incidents.watch_incidents(request).await {
            Ok(response) => response.into_inner(),
            Err(status) => {
                eprintln!("watch: {status}; retrying in 2 s");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        loop {
            let message = match stream.message().await {
                Ok(Some(message)) => message,
                Ok(None) => break,
                Err(status) => {
                    eprintln!("stream: {status}; resuming after {position:?}");
                    break;
                }
            };
            match message.payload {
                Some(Payload::Heartbeat(heartbeat)) => {
                    position = Some(position.unwrap_or(0).max(heartbeat.sequence));
                }
                Some(Payload::Event(event)) => {
                    position = Some(event.sequence);
                    let Some(incident) = event.incident else {
                        continue;
                    };
                    println!(
                        "#{} {:?} {} P{} {:?}: {}",
                        event.sequence,
                        v1::IncidentEventKind::try_from(event.kind)?,
                        incident.id,
                        incident.priority,
                        v1::IncidentStatus::try_from(incident.status)?,
                        event.message
                    );
                    if event.kind == v1::IncidentEventKind::Created as i32 {
                        let acknowledged = incidents
                            .acknowledge_incident(v1::AcknowledgeIncidentRequest {
                                incident_id: incident.id.clone(),
                                comment: "acknowledged by the watch_and_ack example".to_owned(),
                            })
                            .await;
                        if let Err(status) = acknowledged {
                            eprintln!("acknowledge {}: {status}", incident.id);
                        }
                    }
                }
                None => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
