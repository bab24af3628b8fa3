//! When to try a model request again and how long to wait: exponential
//! backoff with jitter (from `backon`), overridden by the server's own
//! `retry-after` / `retry-after-ms` or, failing those, the
//! `anthropic-ratelimit-*-reset` headers, and the loop that runs a turn's
//! attempts under that policy until it succeeds, fails for good or is
//! cancelled. It never looks inside a request or a reply.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use reqwest::header::HeaderMap;
use tokio_util::sync::CancellationToken;

use super::{ModelResponse, ProviderError, StreamEvent};

/// One attempt at a turn, as a provider makes it.
pub(crate) trait Attempt: Sync {
    fn retry_policy(&self) -> &RetryPolicy;

    fn attempt(
        &self,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> impl Future<Output = Result<ModelResponse, ProviderError>> + Send;
}

/// Run attempts until one succeeds, an error is final, the retries are
/// used up, or `cancel` fires (which drops the attempt in flight, closing
/// its connection, and cuts any backoff short).
pub(crate) async fn run<A: Attempt>(
    attempt: &A,
    cancel: &CancellationToken,
    on_event: &mut (dyn FnMut(StreamEvent) + Send),
) -> Result<ModelResponse, ProviderError> {
    let attempts = async {
        let mut retrier = Retrier::new(attempt.retry_policy());
        loop {
            let err = match attempt.attempt(on_event).await {
                Ok(mut response) => {
                    response.attempts = retrier.attempts();
                    return Ok(response);
                }
                Err(err) => err,
            };
            match retrier.next_delay(&err) {
                Some(delay) => {
                    on_event(StreamEvent::Retrying {
                        attempt: retrier.attempts(),
                        delay,
                        error: err.to_string(),
                    });
                    tokio::time::sleep(delay).await;
                }
                None if err.is_retryable() && retrier.attempts() > 1 => {
                    return Err(ProviderError::GaveUp {
                        attempts: retrier.attempts(),
                        last: Box::new(err),
                    });
                }
                None => return Err(err),
            }
        }
    };
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(ProviderError::Cancelled),
        result = attempts => result,
    }
}

/// How hard to retry. Defaults follow the official SDKs' spirit: a few
/// attempts, starting at half a second, capped waits.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts).
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest server-requested wait honoured; longer ones are capped.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// The state of one request's retries.
pub struct Retrier {
    policy: RetryPolicy,
    backoff: ExponentialBackoff,
    attempts: u32,
}

impl Retrier {
    pub fn new(policy: &RetryPolicy) -> Self {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.initial_backoff)
            .with_max_delay(policy.max_backoff)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(policy.max_retries as usize)
            .build();
        Retrier {
            policy: policy.clone(),
            backoff,
            attempts: 1,
        }
    }

    /// Attempts made so far (the first one included).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// After a failed attempt: how long to wait before the next one, or
    /// `None` when the error is final or the attempts are used up.
    pub fn next_delay(&mut self, err: &ProviderError) -> Option<Duration> {
        if !err.is_retryable() {
            return None;
        }
        let backoff = self.backoff.next()?;
        self.attempts += 1;
        Some(match err.retry_after() {
            Some(asked) => asked.min(self.policy.max_retry_after),
            None => backoff,
        })
    }
}

/// The wait a response asks for: `retry-after-ms`, else `retry-after`
/// (seconds or an HTTP date), else the latest `anthropic-ratelimit-*-reset`.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return positive_secs(ms / 1000.0);
    }
    if let Some(value) = get("retry-after") {
        if let Ok(secs) = value.parse::<f64>() {
            return positive_secs(secs);
        }
        if let Some(at) = http_date(value) {
            return Some(at.duration_since(now).unwrap_or_default());
        }
    }
    ["requests", "tokens", "input-tokens", "output-tokens"]
        .iter()
        .filter_map(|kind| get(&format!("anthropic-ratelimit-{kind}-reset")))
        .filter_map(|v| {
            time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|at| SystemTime::from(at).duration_since(now).unwrap_or_default())
        .max()
}

fn positive_secs(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's IMF-fixdate).
fn http_date(value: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format).ok()?;
    Some(SystemTime::from(at.assume_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn reads_retry_after_in_every_form() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06 08:49:37
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Sun, 06 Nov 1994 08:49:47 GMT")]),
                now
            ),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after(
                &headers(&[
                    ("anthropic-ratelimit-requests-reset", "1994-11-06T08:49:39Z"),
                    ("anthropic-ratelimit-tokens-reset", "1994-11-06T08:49:42Z"),
                ]),
                now
            ),
            Some(Duration::from_secs(5))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
    }

    #[test]
    fn stops_after_max_retries_and_on_final_errors() {
        let policy = RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let mut r = Retrier::new(&policy);
        let overloaded = ProviderError::Overloaded {
            message: String::new(),
            retry_after: None,
        };
        assert!(r.next_delay(&overloaded).is_some());
        assert!(r.next_delay(&overloaded).is_some());
        assert!(r.next_delay(&overloaded).is_none());
        assert_eq!(r.attempts(), 3);
        let mut r = Retrier::new(&policy);
        assert!(
            r.next_delay(&ProviderError::unauthorized(String::new()))
                .is_none()
        );
        let asked = ProviderError::RateLimited {
            message: String::new(),
            retry_after: Some(Duration::from_secs(600)),
        };
        assert_eq!(r.next_delay(&asked), Some(policy.max_retry_after));
    }
}
