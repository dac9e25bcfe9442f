//! What sits at the other end of repmon's webhooks in the end-to-end test: a
//! receiver that checks Standard Webhooks signatures. (The SMTP sink is the
//! digest crate's, `repmon_digest::testing`.)

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::{Arc, Mutex};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One delivery attempt as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: String,
    pub signature_ok: bool,
    pub body: serde_json::Value,
    /// What the receiver answered.
    pub status: u16,
}

#[derive(Default)]
pub struct Receiver {
    pub deliveries: Mutex<Vec<Delivery>>,
}

impl Receiver {
    pub fn all(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }
}

fn verify(headers: &HeaderMap, body: &[u8]) -> bool {
    let get = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (id, ts, sigs) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    );
    let key = base64::engine::general_purpose::STANDARD
        .decode(&SECRET["whsec_".len()..])
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    // The header may carry several space-separated signatures.
    sigs.split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

/// A webhook endpoint that fails the first attempt of every message with a
/// 500, so that retries are exercised, and accepts the next.
pub async fn webhook_receiver() -> (String, Arc<Receiver>) {
    let receiver = Arc::new(Receiver::default());
    let state = receiver.clone();
    let base = super::serve_web(|_| {
        Router::new()
            .route(
                "/hook",
                post(
                    |State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes| async move {
                        let id = headers
                            .get("webhook-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let mut all = r.deliveries.lock().unwrap();
                        let first_try = !all.iter().any(|d| d.id == id);
                        let status = if first_try { 500 } else { 200 };
                        all.push(Delivery {
                            id,
                            signature_ok: verify(&headers, &body),
                            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                            status,
                        });
                        StatusCode::from_u16(status).unwrap()
                    },
                ),
            )
            .with_state(state)
    })
    .await;
    (format!("{base}/hook"), receiver)
}
