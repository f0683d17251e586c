//! One Alertmanager set's HTTP client: POSTs a JSON batch with the set's auth, TLS and
//! timeout, and words failures as Prometheus's notifier logs them.

use crate::promconfig::{HttpClientConfig, TlsConfig};
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
        let tls = tls_client_config(&http.tls_config, &base_dir)?;
        let mut conn = HttpConnector::new();
        conn.enforce_http(false);
        conn.set_nodelay(true);
        conn.set_connect_timeout(Some(timeout));
        let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
        let builder = builder.https_or_http();
        let builder = match http
            .tls_config
            .server_name
            .as_deref()
            .filter(|s| !s.is_empty())
        {
            Some(name) => {
                let name = rustls_pki_types::ServerName::try_from(name.to_string())
                    .map_err(|e| format!("invalid tls_config server_name {name:?}: {e}"))?;
                builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name))
            }
            None => builder,
        };
        let connector = builder.enable_http1().wrap_connector(conn);
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

/// rustls settings from `tls_config`: CA (inline or file, else the system roots), client
/// certificate, minimum/maximum version and `insecure_skip_verify`.
fn tls_client_config(
    tls: &TlsConfig,
    base: &std::path::Path,
) -> Result<rustls::ClientConfig, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let material = tls.material(base)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let v12: &rustls::SupportedProtocolVersion = &rustls::version::TLS12;
    let v13: &rustls::SupportedProtocolVersion = &rustls::version::TLS13;
    let versions: Vec<&rustls::SupportedProtocolVersion> =
        match (tls.min_version.as_deref(), tls.max_version.as_deref()) {
            (Some("TLS13"), _) => vec![v13],
            (_, Some("TLS12" | "TLS11" | "TLS10")) => vec![v12],
            _ => vec![v12, v13],
        };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?;
    let builder = if tls.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(SkipVerify(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &material.ca_pem {
            Some(pem) => {
                for cert in CertificateDer::pem_slice_iter(pem) {
                    let cert = cert.map_err(|e| format!("unable to use specified CA cert: {e}"))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("unable to use specified CA cert: {e}"))?;
                }
            }
            None => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
            }
        }
        builder.with_root_certificates(roots)
    };
    match (&material.cert_pem, &material.key_pem) {
        (Some(c), Some(k)) => {
            let certs = CertificateDer::pem_slice_iter(c)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("unable to load client cert: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(k)
                .map_err(|e| format!("unable to load client key: {e}"))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("client certificate: {e}"))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// `insecure_skip_verify: true`: any certificate is accepted; signatures are still checked.
#[derive(Debug)]
struct SkipVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for SkipVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls_pki_types::CertificateDer<'_>,
        _intermediates: &[rustls_pki_types::CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
