//! What a request body may cost the server, checked before any handler reads it.
//!
//! - Compressed bodies (`Content-Encoding` other than `identity`) are refused with `415
//!   unsupported_encoding` before a byte is read: a few kilobytes of compressed zeros inflate to
//!   gigabytes, and no client of this API needs to compress a body of at most
//!   `HTTP_MAX_BODY_BYTES`. The size limit therefore always counts the bytes the server holds.
//! - A body must arrive within `HTTP_BODY_TIMEOUT_SECS` of the request's headers; a slower one is
//!   cut: the handler sees a read error, answers `408 body_timeout` and the connection is closed.
//!   WebSocket upgrades are exempt (their "body" is the socket, which has its own heartbeat).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, ResponseError};
use futures::Stream;

use super::errors::ApiError;

/// Middleware: refuses compressed bodies and puts a deadline on reading the body.
pub async fn guard_bodies(
    timeout: Duration,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if is_encoded(req.headers()) {
        let response = ApiError::UnsupportedEncoding.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    if has_body(req.headers()) {
        let payload = req.take_payload();
        let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
            inner: payload,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            expired: false,
        });
        req.set_payload(Payload::from(stream));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Whether the body is declared compressed (any coding but `identity`).
fn is_encoded(headers: &header::HeaderMap) -> bool {
    headers.get_all(header::CONTENT_ENCODING).any(|value| {
        value.to_str().map_or(true, |v| {
            v.split(',')
                .map(str::trim)
                .any(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"))
        })
    })
}

/// Whether a body follows the headers (and the request is not a WebSocket upgrade).
fn has_body(headers: &header::HeaderMap) -> bool {
    if headers.contains_key(header::UPGRADE) {
        return false;
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0);
    declared || headers.contains_key(header::TRANSFER_ENCODING)
}

/// Whether a body-reading error is the body deadline's.
pub fn is_body_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// A payload that fails with `TimedOut` once its deadline passes.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(item) => Poll::Ready(item),
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.expired = true;
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn any_coding_but_identity_is_refused() {
        assert!(is_encoded(&headers(&[("content-encoding", "zstd")])));
        assert!(is_encoded(&headers(&[(
            "content-encoding",
            "identity, gzip"
        )])));
        assert!(is_encoded(&headers(&[("content-encoding", "GZIP")])));
        assert!(!is_encoded(&headers(&[("content-encoding", "identity")])));
        assert!(!is_encoded(&headers(&[])));
    }

    #[test]
    fn upgrades_and_empty_requests_have_no_body_to_time() {
        assert!(has_body(&headers(&[("content-length", "60000")])));
        assert!(has_body(&headers(&[("transfer-encoding", "chunked")])));
        assert!(!has_body(&headers(&[("content-length", "0")])));
        assert!(!has_body(&headers(&[("upgrade", "websocket")])));
    }
}
