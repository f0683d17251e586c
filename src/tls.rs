//! TLS for Strata's HTTP clients (scrapes, Alertmanager pushes): rustls with the ring
//! provider, configured from Prometheus's `tls_config` as Go's client would be.

use crate::promconfig::TlsConfig;
use hyper_util::client::legacy::connect::HttpConnector;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A connector for `http` and `https` URLs with `tls` applied, including `server_name`.
pub fn https_connector(
    tls: &TlsConfig,
    base: &Path,
    connect_timeout: Duration,
) -> Result<hyper_rustls::HttpsConnector<HttpConnector>, String> {
    let cfg = client_config(tls, base)?;
    let mut conn = HttpConnector::new();
    conn.enforce_http(false);
    conn.set_nodelay(true);
    conn.set_connect_timeout(Some(connect_timeout.max(Duration::from_millis(1))));
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(cfg)
        .https_or_http();
    let builder = match tls.server_name.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => {
            let name = rustls_pki_types::ServerName::try_from(name.to_string())
                .map_err(|e| format!("invalid tls_config server_name {name:?}: {e}"))?;
            builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name))
        }
        None => builder,
    };
    Ok(builder.enable_http1().wrap_connector(conn))
}

/// rustls settings from `tls_config`: CA (inline or file, else the system roots), client
/// certificate, minimum/maximum version and `insecure_skip_verify`.
pub fn client_config(tls: &TlsConfig, base: &Path) -> Result<rustls::ClientConfig, String> {
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
