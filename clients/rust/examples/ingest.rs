//! Sends one alert over gRPC with a company's API key and prints the result.
//!
//! ```sh
//! AW_API_KEY=awk_... cargo run -p alert-whisperer-client --example ingest -- http://127.0.0.1:8080
//! ```

use alert_whisperer_client::{ApiKey, v1};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let key = std::env::var("AW_API_KEY")?;
    let channel = tonic::transport::Channel::from_shared(url)?
        .connect()
        .await?;
    let mut ingest = v1::ingest_service_client::IngestServiceClient::with_interceptor(
        channel,
        ApiKey::new(&key)?,
    );
    let response = ingest
        .ingest_alert(v1::IngestAlertRequest {
            alert: Some(v1::AlertInput {
                asset: "web-01".to_owned(),
                signature: "high_cpu_usage".to_owned(),
                severity: v1::Severity::Critical.into(),
                message: "CPU usage above 90%".to_owned(),
                tool_source: "example".to_owned(),
                ..Default::default()
            }),
        })
        .await?
        .into_inner();
    let result = response.result.ok_or("no result")?;
    println!(
        "alert {} {:?} (dedup key {})",
        result.alert_id,
        v1::AlertOutcome::try_from(result.outcome)?,
        result.dedup_key
    );
    Ok(())
}
