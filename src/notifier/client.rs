//! One Alertmanager set's HTTP client: POSTs a JSON batch with the set's auth, TLS and
//! timeout, and words failures as Prometheus's notifier logs them.

use crate::promconfig::HttpClientConfig;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{self, HeaderValue};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Shared by every Alertmanager of a set, so keep-alive connections are reused.
#[derive(Clone)]
pub(super) struct AmClient {
    client: HttpsClient,
    http: Arc<HttpClientConfig>,
    base_dir: PathBuf,
    timeout: Duration,
    user_agent: Arc<str>,
}

impl std::fmt::Debug for AmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl AmClient {
    /// Builds the client; TLS files are read now (a reload picks up rotated ones).
    pub(super) fn new(
        http: &HttpClientConfig,
        base_dir: PathBuf,
        timeout: Duration,
    ) -> Result<AmClient, String> {
        let connector = crate::tls::https_connector(&http.tls_config, &base_dir, timeout)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(2)
            .build(connector);
        Ok(AmClient {
            client,
            http: Arc::new(http.clone()),
            base_dir,
            timeout,
            user_agent: format!("Strata/{}", env!("CARGO_PKG_VERSION")).into(),
        })
    }

    /// POSTs `body` to `url`; any 2xx is success. Credentials files are read per request, so
    /// a rotated token applies without a reload.
    pub(super) async fn post(&self, url: &str, body: Bytes) -> Result<(), String> {
        match tokio::time::timeout(self.timeout, self.post_inner(url, body)).await {
            Ok(r) => r,
            Err(_) => Err(format!("Post \"{url}\": context deadline exceeded")),
        }
    }

    async fn post_inner(&self, url: &str, body: Bytes) -> Result<(), String> {
        let post_err = |e: String| format!("Post \"{url}\": {e}");
        let mut req = Request::post(url)
            .header(header::USER_AGENT, &*self.user_agent)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(a) = self.http.auth_header(&self.base_dir)? {
            let v = HeaderValue::from_str(&a).map_err(|_| "invalid authorization header")?;
            req = req.header(header::AUTHORIZATION, v);
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| post_err(e.to_string()))?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| post_err(innermost(&e)))?;
        let status = resp.status();
        // Read the body so the connection can be reused.
        let _ = resp.into_body().collect().await;
        if !status.is_success() {
            return Err(format!(
                "bad response status {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_string());
        }
        Ok(())
    }
}

fn innermost(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
