//! Content-Type / Content-Encoding negotiation for remote write, and the protocol's header names.

use crate::error::{Error, Result};

/// The protobuf media type shared by both remote write versions.
pub const PROTOBUF_MEDIA_TYPE: &str = "application/x-protobuf";
/// Content-Type a 1.0 sender may use (plain [`PROTOBUF_MEDIA_TYPE`] means the same).
pub const CONTENT_TYPE_V1: &str = "application/x-protobuf;proto=prometheus.WriteRequest";
/// Content-Type of a 2.0 request.
pub const CONTENT_TYPE_V2: &str = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
/// The only accepted Content-Encoding (snappy block format).
pub const CONTENT_ENCODING_SNAPPY: &str = "snappy";
/// Request header carrying the sender's protocol version (`0.1.0` or `2.0.0`).
pub const VERSION_HEADER: &str = "X-Prometheus-Remote-Write-Version";
/// 2.0 response header: float samples written.
pub const SAMPLES_WRITTEN_HEADER: &str = "X-Prometheus-Remote-Write-Samples-Written";
/// 2.0 response header: native histogram samples written.
pub const HISTOGRAMS_WRITTEN_HEADER: &str = "X-Prometheus-Remote-Write-Histograms-Written";
/// 2.0 response header: exemplars written.
pub const EXEMPLARS_WRITTEN_HEADER: &str = "X-Prometheus-Remote-Write-Exemplars-Written";

/// `proto=` value of a 1.0 request.
const PROTO_V1: &str = "prometheus.WriteRequest";
/// `proto=` value of a 2.0 request.
const PROTO_V2: &str = "io.prometheus.write.v2.Request";

/// Which remote write message a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtoVersion {
    /// `prometheus.WriteRequest` (remote write 1.0).
    V1,
    /// `io.prometheus.write.v2.Request` (remote write 2.0).
    V2,
}

impl ProtoVersion {
    /// The fully qualified protobuf message name (the `proto=` parameter).
    pub fn message_name(self) -> &'static str {
        match self {
            Self::V1 => PROTO_V1,
            Self::V2 => PROTO_V2,
        }
    }

    /// The Content-Type a sender uses for this version.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::V1 => CONTENT_TYPE_V1,
            Self::V2 => CONTENT_TYPE_V2,
        }
    }

    /// The [`VERSION_HEADER`] value a sender uses for this version.
    pub fn version_header_value(self) -> &'static str {
        match self {
            Self::V1 => "0.1.0",
            Self::V2 => "2.0.0",
        }
    }
}

/// Resolves the Content-Type header to a message version.
///
/// Missing or blank means 1.0 (older senders omit it). The media type must be
/// `application/x-protobuf` (ASCII case-insensitive); parameters are `;`-separated `key=value`
/// pairs where whitespace around keys and values and double quotes around values are ignored, and
/// keys other than `proto` are ignored. No `proto` means 1.0. Anything else is
/// [`Error::UnsupportedContentType`] (415), including a parameter without `=`, as in Prometheus.
pub fn parse_content_type(content_type: Option<&str>) -> Result<ProtoVersion> {
    let Some(header) = content_type.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(ProtoVersion::V1);
    };
    let unsupported = || Error::UnsupportedContentType(header.to_owned());
    let mut parts = header.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case(PROTOBUF_MEDIA_TYPE) {
        return Err(unsupported());
    }
    let mut version = ProtoVersion::V1;
    for param in parts {
        let param = param.trim();
        if param.is_empty() {
            continue; // a trailing or doubled ';'
        }
        let (key, value) = param.split_once('=').ok_or_else(unsupported)?;
        if !key.trim().eq_ignore_ascii_case("proto") {
            continue;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value)
            .trim();
        version = match value {
            PROTO_V1 => ProtoVersion::V1,
            PROTO_V2 => ProtoVersion::V2,
            _ => return Err(unsupported()),
        };
    }
    Ok(version)
}

/// Checks the Content-Encoding header: missing, blank or `snappy` (ASCII case-insensitive) is
/// accepted, anything else is [`Error::UnsupportedContentEncoding`] (415).
pub fn check_content_encoding(content_encoding: Option<&str>) -> Result<()> {
    match content_encoding.map(str::trim) {
        None | Some("") => Ok(()),
        Some(enc) if enc.eq_ignore_ascii_case(CONTENT_ENCODING_SNAPPY) => Ok(()),
        Some(enc) => Err(Error::UnsupportedContentEncoding(enc.to_owned())),
    }
}

/// The three `X-Prometheus-Remote-Write-*-Written` headers a 2.0 receiver must send (on success and
/// on 4xx after a partial write), as `(name, value)` pairs.
pub fn written_headers(
    samples: usize,
    histograms: usize,
    exemplars: usize,
) -> [(&'static str, String); 3] {
    [
        (SAMPLES_WRITTEN_HEADER, samples.to_string()),
        (HISTOGRAMS_WRITTEN_HEADER, histograms.to_string()),
        (EXEMPLARS_WRITTEN_HEADER, exemplars.to_string()),
    ]
}

#[cfg(test)]
mod tests;
