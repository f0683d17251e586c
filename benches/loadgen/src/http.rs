//! A minimal keep-alive HTTP/1.1 client over `std::net::TcpStream`: enough to POST remote write
//! bodies and GET small pages from a local server, at next to no CPU cost.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest response header block accepted.
const MAX_HEADER: usize = 64 << 10;
/// Largest response body kept for a POST (error messages); longer bodies are read and dropped.
const MAX_ERROR_BODY: usize = 4 << 10;
/// Largest response body read at all.
const MAX_BODY: usize = 64 << 20;

/// A parsed `http://host:port/path` URL (plain HTTP only).
#[derive(Debug, Clone)]
pub struct Url {
    pub host: String,
    pub addr: SocketAddr,
    pub path: String,
}

impl Url {
    /// Parses `http://HOST:PORT/PATH`; refuses anything but loopback addresses.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = host
            .to_socket_addrs()
            .map_err(|e| format!("{url}: {e}"))?
            .next()
            .ok_or_else(|| format!("{url}: no address"))?;
        if !addr.ip().is_loopback() {
            return Err(format!("{url}: only loopback targets are allowed"));
        }
        Ok(Self {
            host: host.to_owned(),
            addr,
            path: path.to_owned(),
        })
    }
}

/// A response: status and (the first bytes of) body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// One keep-alive connection; reconnects when the server closed it.
#[derive(Debug)]
pub struct Conn {
    url: Url,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    timeout: Duration,
    /// Bytes of response body kept.
    keep: usize,
}

impl Conn {
    pub fn new(url: Url, timeout: Duration) -> Self {
        Self {
            url,
            stream: None,
            buf: Vec::with_capacity(8192),
            timeout,
            keep: MAX_ERROR_BODY,
        }
    }

    /// `GET` of the connection's URL keeping the whole body (up to 64 MiB).
    pub fn get_full(&mut self) -> io::Result<Response> {
        self.keep = MAX_BODY;
        let r = self.get();
        self.keep = MAX_ERROR_BODY;
        r
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        if self.stream.is_none() {
            let s = TcpStream::connect_timeout(&self.url.addr, self.timeout)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(self.timeout))?;
            s.set_write_timeout(Some(self.timeout))?;
            self.stream = Some(s);
            self.buf.clear();
        }
        Ok(self.stream.as_mut().expect("connected above"))
    }

    /// Sends `head` (request line and headers, ending in an empty line) and `body`, and reads
    /// the response. On any I/O error the connection is dropped, so the next call reconnects.
    pub fn round_trip(&mut self, head: &[u8], body: &[u8]) -> io::Result<Response> {
        let r = self.try_round_trip(head, body);
        if r.is_err() {
            self.stream = None;
        }
        r
    }

    fn try_round_trip(&mut self, head: &[u8], body: &[u8]) -> io::Result<Response> {
        let s = self.stream()?;
        s.write_all(head)?;
        s.write_all(body)?;
        let (resp, close) = self.read_response()?;
        if close {
            self.stream = None;
        }
        Ok(resp)
    }

    /// `POST` of a remote write 1.0 body, with the headers Prometheus 2.42 sends.
    pub fn post_remote_write(&mut self, body: &[u8]) -> io::Result<Response> {
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: Prometheus/2.42.0\r\nContent-Length: {}\r\n\
             Content-Encoding: snappy\r\nContent-Type: application/x-protobuf\r\n\
             X-Prometheus-Remote-Write-Version: 0.1.0\r\n\r\n",
            self.url.path,
            self.url.host,
            body.len()
        );
        self.round_trip(head.as_bytes(), body)
    }

    /// `POST` of a plain text body (InfluxDB line protocol), as Telegraf sends it.
    pub fn post_text(&mut self, body: &[u8]) -> io::Result<Response> {
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: strata-loadgen\r\nContent-Length: {}\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n",
            self.url.path,
            self.url.host,
            body.len()
        );
        self.round_trip(head.as_bytes(), body)
    }

    /// `GET` of the connection's URL.
    pub fn get(&mut self) -> io::Result<Response> {
        let head = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: strata-loadgen\r\n\r\n",
            self.url.path, self.url.host
        );
        self.round_trip(head.as_bytes(), &[])
    }

    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16384];
        let s = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::other("not connected"))?;
        let n = s.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one response; returns it and whether the server will close the connection.
    fn read_response(&mut self) -> io::Result<(Response, bool)> {
        let header_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            if self.buf.len() > MAX_HEADER {
                return Err(io::Error::other("response header too large"));
            }
            if self.fill()? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..header_end]).into_owned();
        self.buf.drain(..header_end);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line {status_line:?}")))?;
        let (mut length, mut chunked, mut close) =
            (None, false, status_line.starts_with("HTTP/1.0"));
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if status == 204 || status == 304 || (100..200).contains(&status) {
            // No body.
        } else if chunked {
            self.read_chunked(&mut body)?;
        } else if let Some(n) = length {
            if n > MAX_BODY {
                return Err(io::Error::other("response body too large"));
            }
            while self.buf.len() < n {
                if self.fill()? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
            body.extend(self.buf.drain(..n));
        } else {
            // Body until close.
            while self.buf.len() <= MAX_BODY && self.fill()? > 0 {}
            body = std::mem::take(&mut self.buf);
            close = true;
        }
        body.truncate(self.keep);
        Ok((Response { status, body }, close))
    }

    fn read_chunked(&mut self, body: &mut Vec<u8>) -> io::Result<()> {
        let mut total = 0usize;
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n") {
                    break i;
                }
                if self.buf.len() > MAX_HEADER || self.fill()? == 0 {
                    return Err(io::Error::other("bad chunk header"));
                }
            };
            let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| io::Error::other(format!("bad chunk size {size_text:?}")))?;
            self.buf.drain(..line_end + 2);
            total += size;
            if total > MAX_BODY {
                return Err(io::Error::other("response body too large"));
            }
            // The chunk, then CRLF (after the last chunk: optional trailers, then CRLF).
            if size == 0 {
                loop {
                    if let Some(i) = find(&self.buf, b"\r\n") {
                        self.buf.drain(..i + 2);
                        if i == 0 {
                            return Ok(());
                        }
                        continue;
                    }
                    if self.buf.len() > MAX_HEADER || self.fill()? == 0 {
                        return Err(io::Error::other("bad chunked trailer"));
                    }
                }
            }
            while self.buf.len() < size + 2 {
                if self.fill()? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
            if body.len() < self.keep {
                body.extend_from_slice(&self.buf[..size]);
            }
            self.buf.drain(..size + 2);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One-off `GET url`; `Some(status)` when the server answered.
pub fn get_status(url: &Url, timeout: Duration) -> Option<u16> {
    Conn::new(url.clone(), timeout).get().ok().map(|r| r.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve(responses: &'static [u8]) -> Url {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).unwrap();
            s.write_all(responses).unwrap();
        });
        Url::parse(&format!("http://{addr}/api/v1/write")).unwrap()
    }

    #[test]
    fn reads_chunked_and_fixed_bodies() {
        let url = serve(b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        let r = Conn::new(url, Duration::from_secs(5))
            .post_remote_write(b"x")
            .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (400, &b"hello world"[..]));
        let url = serve(b"HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n");
        assert_eq!(
            Conn::new(url, Duration::from_secs(5))
                .post_remote_write(b"x")
                .unwrap()
                .status,
            204
        );
    }

    #[test]
    fn refuses_remote_targets() {
        assert!(Url::parse("http://192.0.2.1:9090/api/v1/write").is_err());
        assert!(Url::parse("https://127.0.0.1:9090/").is_err());
    }
}
