//! How a scrape (or an Alertmanager push) authenticates and sets up TLS: Prometheus's common
//! HTTP client settings.
//!
//! After parsing, `bearer_token`/`bearer_token_file` are folded into `authorization` (as
//! Prometheus does) and every file path is absolute, so a consumer reads only `basic_auth`
//! and `authorization`, through [`HttpClientConfig::auth_header`], and `tls_config`.

use serde::{Deserialize, Serialize, Serializer};
use std::path::{Path, PathBuf};

/// A password or token: read from the file, never shown (`<secret>` in `status/config`).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<secret>")
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpClientConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Prometheus 2.x's spelling of `authorization: {credentials: ...}`; moved there by
    /// parsing, so always `None` afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<Secret>,
    /// Moved to `authorization.credentials_file` by parsing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_file: Option<String>,
    #[serde(default, deserialize_with = "super::null_default")]
    pub tls_config: TlsConfig,
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    #[serde(default = "yes")]
    pub enable_http2: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_proxy: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub proxy_from_environment: bool,
    /// Accepted only to name it in the "not supported" error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<serde_yaml_ng::Value>,
    /// Accepted only to name it in the "not supported" error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_headers: Option<serde_yaml_ng::Value>,
    /// Accepted only to name it in the "not supported" error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_connect_header: Option<serde_yaml_ng::Value>,
}

fn yes() -> bool {
    true
}
fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    #[serde(default)]
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// `Bearer` when absent; set to `Bearer` by parsing.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<String>,
}

/// TLS settings. After parsing, `ca`/`ca_file`, `cert`/`cert_file` and `key`/`key_file` are
/// each at most one, and a client certificate comes with its key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Inline PEM CA certificate(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Inline PEM client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// Inline PEM client key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// `TLS10` .. `TLS13`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_version: Option<String>,
}

const TLS_VERSIONS: [&str; 4] = ["TLS10", "TLS11", "TLS12", "TLS13"];

fn set(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.is_empty())
}
fn set_secret(s: &Option<Secret>) -> bool {
    s.as_ref().is_some_and(|s| !s.0.is_empty())
}

/// Joins a relative path onto `dir`, as Prometheus's `config.JoinDir` (empty stays empty).
pub(crate) fn join_dir(dir: &Path, path: &mut Option<String>) {
    if let Some(p) = path.as_mut()
        && !p.is_empty()
        && Path::new(p.as_str()).is_relative()
    {
        *p = dir.join(p.as_str()).to_string_lossy().into_owned();
    }
}

fn read_trimmed(base_dir: &Path, file: &str, what: &str) -> Result<String, String> {
    let path: PathBuf = base_dir.join(file);
    std::fs::read_to_string(&path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("unable to read {what} file {}: {e}", path.display()))
}

impl HttpClientConfig {
    /// prometheus/common's checks, with its messages; folds `bearer_token(_file)` into
    /// `authorization` and defaults its type to `Bearer`.
    pub fn validate(&mut self) -> Result<(), String> {
        for (name, present) in [
            ("oauth2", self.oauth2.is_some()),
            ("http_headers", self.http_headers.is_some()),
            ("proxy_connect_header", self.proxy_connect_header.is_some()),
        ] {
            if present {
                return Err(format!("Strata does not support {name} yet"));
            }
        }
        let token = set_secret(&self.bearer_token);
        let token_file = set(&self.bearer_token_file);
        if token && token_file {
            return Err(
                "at most one of bearer_token & bearer_token_file must be configured".into(),
            );
        }
        if self.basic_auth.is_some() && (token || token_file) {
            return Err(
                "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
                    .into(),
            );
        }
        if let Some(b) = &self.basic_auth {
            if !b.username.is_empty() && set(&b.username_file) {
                return Err(
                    "at most one of basic_auth username, username_file & username_ref must be configured"
                        .into(),
                );
            }
            if set_secret(&b.password) && set(&b.password_file) {
                return Err(
                    "at most one of basic_auth password, password_file & password_ref must be configured"
                        .into(),
                );
            }
        }
        if let Some(a) = &mut self.authorization {
            if token || token_file {
                return Err(
                    "authorization is not compatible with bearer_token & bearer_token_file".into(),
                );
            }
            if set_secret(&a.credentials) && set(&a.credentials_file) {
                return Err(
                    "at most one of authorization credentials & credentials_file must be configured"
                        .into(),
                );
            }
            let kind = a.kind.as_deref().unwrap_or("").trim();
            let kind = if kind.is_empty() { "Bearer" } else { kind };
            if kind.eq_ignore_ascii_case("basic") {
                return Err(
                    r#"authorization type cannot be set to "basic", use "basic_auth" instead"#
                        .into(),
                );
            }
            a.kind = Some(kind.to_string());
            if self.basic_auth.is_some() {
                return Err(
                    "at most one of basic_auth, oauth2 & authorization must be configured".into(),
                );
            }
        } else if token {
            self.authorization = Some(Authorization {
                kind: Some("Bearer".into()),
                credentials: self.bearer_token.take(),
                credentials_file: None,
            });
        } else if token_file {
            self.authorization = Some(Authorization {
                kind: Some("Bearer".into()),
                credentials: None,
                credentials_file: self.bearer_token_file.take(),
            });
        }
        self.bearer_token = None;
        self.bearer_token_file = None;
        if set(&self.proxy_url) && self.proxy_from_environment {
            return Err(
                "if proxy_from_environment is configured, proxy_url must not be configured".into(),
            );
        }
        self.tls_config.validate()
    }

    /// Makes every file path absolute against `dir` (the directory of the file that names it).
    pub fn set_directory(&mut self, dir: &Path) {
        if let Some(b) = &mut self.basic_auth {
            join_dir(dir, &mut b.username_file);
            join_dir(dir, &mut b.password_file);
        }
        if let Some(a) = &mut self.authorization {
            join_dir(dir, &mut a.credentials_file);
        }
        join_dir(dir, &mut self.bearer_token_file);
        let t = &mut self.tls_config;
        join_dir(dir, &mut t.ca_file);
        join_dir(dir, &mut t.cert_file);
        join_dir(dir, &mut t.key_file);
    }

    /// The whole `Authorization` header value to send (`Bearer abc`, `Basic dXNlcjpwdw==`),
    /// or `None` without authentication. Files are read now, so that a rotated token is
    /// picked up on the next request; relative paths resolve against `base_dir` (paths from a
    /// parsed config are already absolute).
    pub fn auth_header(&self, base_dir: &Path) -> Result<Option<String>, String> {
        if let Some(a) = &self.authorization {
            let kind = a.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
            let credentials = match (&a.credentials, &a.credentials_file) {
                (_, Some(f)) if !f.is_empty() => {
                    read_trimmed(base_dir, f, "authorization credentials")?
                }
                (Some(c), _) => c.0.clone(),
                _ => String::new(),
            };
            return Ok(Some(format!("{} {credentials}", kind.unwrap_or("Bearer"))));
        }
        if let Some(b) = &self.basic_auth {
            let username = match &b.username_file {
                Some(f) if !f.is_empty() => read_trimmed(base_dir, f, "basic auth username")?,
                _ => b.username.clone(),
            };
            let password = match (&b.password, &b.password_file) {
                (_, Some(f)) if !f.is_empty() => read_trimmed(base_dir, f, "basic auth password")?,
                (Some(p), _) => p.0.clone(),
                _ => String::new(),
            };
            let raw = format!("{username}:{password}");
            return Ok(Some(format!("Basic {}", base64(raw.as_bytes()))));
        }
        let token = match (&self.bearer_token, &self.bearer_token_file) {
            (_, Some(f)) if !f.is_empty() => Some(read_trimmed(base_dir, f, "bearer token")?),
            (Some(t), _) if !t.0.is_empty() => Some(t.0.clone()),
            _ => None,
        };
        Ok(token.map(|t| format!("Bearer {t}")))
    }
}

impl TlsConfig {
    /// prometheus/common's TLS checks, with its messages.
    pub fn validate(&self) -> Result<(), String> {
        if set(&self.ca) && set(&self.ca_file) {
            return Err("at most one of ca, ca_file & ca_ref must be configured".into());
        }
        let cert = set(&self.cert) || set(&self.cert_file);
        let key = set_secret(&self.key) || set(&self.key_file);
        if set(&self.cert) && set(&self.cert_file) {
            return Err("at most one of cert, cert_file & cert_ref must be configured".into());
        }
        if set_secret(&self.key) && set(&self.key_file) {
            return Err("at most one of key and key_file must be configured".into());
        }
        if cert && !key {
            return Err(
                "exactly one of key or key_file must be configured when a client certificate is configured"
                    .into(),
            );
        }
        if key && !cert {
            return Err(
                "exactly one of cert or cert_file must be configured when a client key is configured"
                    .into(),
            );
        }
        for v in [&self.min_version, &self.max_version].into_iter().flatten() {
            if !TLS_VERSIONS.contains(&v.as_str()) {
                return Err(format!("unknown TLS version: {v}"));
            }
        }
        Ok(())
    }
}

/// PEM bytes for building a TLS client, as [`TlsConfig::material`] reads them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsMaterial {
    /// CA certificates to trust instead of the system roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Client certificate chain and its key; both or neither.
    pub cert_pem: Option<Vec<u8>>,
    pub key_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .field("cert_pem", &self.cert_pem.as_ref().map(Vec::len))
            .field("key_pem", &self.key_pem.as_ref().map(|_| "<secret>"))
            .finish()
    }
}

fn inline_or_file(
    base_dir: &Path,
    inline: Option<&str>,
    file: &Option<String>,
    what: &str,
) -> Result<Option<Vec<u8>>, String> {
    if let Some(text) = inline.filter(|t| !t.is_empty()) {
        return Ok(Some(text.as_bytes().to_vec()));
    }
    match file.as_deref().filter(|f| !f.is_empty()) {
        None => Ok(None),
        Some(f) => {
            let path = base_dir.join(f);
            std::fs::read(&path)
                .map(Some)
                .map_err(|e| format!("unable to load specified {what} {}: {e}", path.display()))
        }
    }
}

impl TlsConfig {
    /// The CA, certificate and key PEM, inline or read from their files now (relative paths
    /// against `base_dir`). Read again whenever the client is rebuilt, so rotated files are
    /// picked up.
    pub fn material(&self, base_dir: &Path) -> Result<TlsMaterial, String> {
        Ok(TlsMaterial {
            ca_pem: inline_or_file(base_dir, self.ca.as_deref(), &self.ca_file, "CA cert")?,
            cert_pem: inline_or_file(
                base_dir,
                self.cert.as_deref(),
                &self.cert_file,
                "client cert",
            )?,
            key_pem: inline_or_file(
                base_dir,
                self.key.as_ref().map(|k| k.0.as_str()),
                &self.key_file,
                "client key",
            )?,
        })
    }
}

/// Standard base64 with padding, for the `Basic` header.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_material_reads_inline_and_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ca.pem"), "CA").expect("write");
        let tls = TlsConfig {
            ca_file: Some("ca.pem".into()),
            cert: Some("CERT".into()),
            key: Some(Secret("KEY".into())),
            ..TlsConfig::default()
        };
        let m = tls.material(dir.path()).expect("reads");
        assert_eq!(m.ca_pem.as_deref(), Some(&b"CA"[..]));
        assert_eq!(m.cert_pem.as_deref(), Some(&b"CERT"[..]));
        assert_eq!(m.key_pem.as_deref(), Some(&b"KEY"[..]));
        assert!(!format!("{m:?}").contains("KEY"));
        let missing = TlsConfig {
            ca_file: Some("nope.pem".into()),
            ..TlsConfig::default()
        };
        let e = missing.material(dir.path()).expect_err("missing file");
        assert!(e.starts_with("unable to load specified CA cert"), "{e}");
        assert_eq!(
            TlsConfig::default().material(dir.path()),
            Ok(TlsMaterial::default())
        );
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
    }
}
