//! One blocking request over `wasi:http/outgoing-handler`.

use crate::url::Url;
use std::fmt;
use std::io::{Read, Write};
use std::time::Duration;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingResponse, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};

/// The request methods asterbot components use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

/// One HTTP request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: Method,
    /// Where to send it.
    pub url: Url,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body; empty for none.
    pub body: Vec<u8>,
    /// How long to wait for the connection, for the first byte of the answer
    /// and between later bytes.
    pub timeout: Duration,
    /// Bytes of the response body kept; the rest is not read.
    pub max_body: usize,
}

impl Request {
    /// A `GET` of `url` with a 30 s timeout and a 1 MiB body cap.
    pub fn get(url: Url) -> Request {
        Request {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: Vec::new(),
            timeout: Duration::from_secs(30),
            max_body: 1 << 20,
        }
    }

    /// A `POST` of a JSON `body` to `url`.
    pub fn post_json(url: Url, body: Vec<u8>) -> Request {
        Request {
            method: Method::Post,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            ..Request::get(url)
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A whole response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, at most `max_body` bytes of it.
    pub body: Vec<u8>,
    /// Whether the body was longer than `max_body`.
    pub truncated: bool,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The runner does not let this component reach the host.
    Denied(String),
    /// No answer within the timeout.
    Timeout(String),
    /// The host could not be reached (DNS, refused connection, TLS).
    Unreachable(String, String),
    /// Anything else, in words.
    Failed(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Denied(host) => write!(
                f,
                "the request to `{host}` was denied: the recipe must allow it (`/// @allow-host {host}` on this instance) and the runner must grant it (`asterbot run --allow-host {host}`, or `wasmtime run -S http`)"
            ),
            HttpError::Timeout(host) => write!(f, "`{host}` did not answer in time"),
            HttpError::Unreachable(host, why) => write!(f, "cannot reach `{host}`: {why}"),
            HttpError::Failed(why) => write!(f, "{why}"),
        }
    }
}

/// Sends `request` and reads the whole response (up to `max_body` bytes).
pub fn send(request: &Request) -> Result<Response, HttpError> {
    let host = request.url.host().to_string();
    let failed = |what: &str| HttpError::Failed(format!("{what} for `{host}`"));
    let headers: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&headers)
        .map_err(|e| HttpError::Failed(format!("invalid request header: {e:?}")))?;
    let outgoing = OutgoingRequest::new(fields);
    let method = match request.method {
        Method::Get => wasip2::http::types::Method::Get,
        Method::Post => wasip2::http::types::Method::Post,
    };
    let scheme = if request.url.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    outgoing
        .set_method(&method)
        .and_then(|()| outgoing.set_scheme(Some(&scheme)))
        .and_then(|()| outgoing.set_authority(Some(&request.url.authority)))
        .and_then(|()| outgoing.set_path_with_query(Some(&request.url.path_and_query)))
        .map_err(|()| failed("invalid URL"))?;
    let body = outgoing.body().map_err(|()| failed("no request body"))?;

    let options = RequestOptions::new();
    let nanos = u64::try_from(request.timeout.as_nanos()).unwrap_or(u64::MAX);
    // A runtime that does not support a timeout keeps its own default.
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));

    let pending =
        outgoing_handler::handle(outgoing, Some(options)).map_err(|code| error_of(&host, code))?;
    if !request.body.is_empty() {
        let mut stream = body.write().map_err(|()| failed("no request stream"))?;
        for chunk in request.body.chunks(4096) {
            stream
                .write_all(chunk)
                .map_err(|e| HttpError::Failed(format!("sending to `{host}`: {e}")))?;
        }
        stream
            .flush()
            .map_err(|e| HttpError::Failed(format!("sending to `{host}`: {e}")))?;
    }
    OutgoingBody::finish(body, None).map_err(|code| error_of(&host, code))?;

    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(error_of(&host, code)),
        Some(Err(())) | None => return Err(failed("no response")),
    };
    read_response(&host, response, request.max_body)
}

fn read_response(
    host: &str,
    response: IncomingResponse,
    max_body: usize,
) -> Result<Response, HttpError> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| {
            (
                n.to_ascii_lowercase(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| HttpError::Failed(format!("no response body from `{host}`")))?;
    let mut body = Vec::new();
    let truncated;
    {
        let stream = incoming
            .stream()
            .map_err(|()| HttpError::Failed(format!("no response body from `{host}`")))?;
        let limit = u64::try_from(max_body)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        stream
            .take(limit)
            .read_to_end(&mut body)
            .map_err(|e| read_error(host, &e))?;
        truncated = body.len() > max_body;
        body.truncate(max_body);
    }
    drop(incoming);
    Ok(Response {
        status,
        headers,
        body,
        truncated,
    })
}

fn read_error(host: &str, error: &std::io::Error) -> HttpError {
    let text = error.to_string();
    if text.contains("Timeout") {
        HttpError::Timeout(host.to_string())
    } else {
        HttpError::Failed(format!("reading the answer of `{host}`: {text}"))
    }
}

fn error_of(host: &str, code: ErrorCode) -> HttpError {
    let host = host.to_string();
    match code {
        ErrorCode::HttpRequestDenied => HttpError::Denied(host),
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::DnsTimeout => HttpError::Timeout(host),
        ErrorCode::ConnectionRefused => HttpError::Unreachable(host, "connection refused".into()),
        ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            HttpError::Unreachable(host, "unknown host".into())
        }
        ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionTerminated => HttpError::Unreachable(host, format!("{code:?}")),
        ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => {
            HttpError::Unreachable(host, format!("TLS failed ({code:?})"))
        }
        other => HttpError::Failed(format!("request to `{host}` failed: {other:?}")),
    }
}
