//! [`ObjectStoreOptions`] and opening an [`ObjectStore`] from a URL.

use super::ObjectStore;
use crate::store::StoreError;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::{ClientConfigKey, RetryConfig};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The default [`ObjectStoreOptions::concurrency`].
pub const DEFAULT_CONCURRENCY: usize = 16;

/// The default [`ObjectStoreOptions::max_value_size`]: 16 GiB.
pub const DEFAULT_MAX_VALUE_SIZE: u64 = 16 << 30;

/// How an [`ObjectStore`] behaves.
///
/// ```
/// use std::time::Duration;
/// use zarr::store::ObjectStoreOptions;
/// let mut options = ObjectStoreOptions::default();
/// options.concurrency = 64;
/// options.retry.max_retries = 3;
/// options.retry.retry_timeout = Duration::from_secs(20);
/// options.config.push(("aws_region".into(), "eu-west-1".into()));
/// assert!(!options.read_only);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ObjectStoreOptions {
    /// Refuse writes.
    pub read_only: bool,
    /// At most this many requests at once in
    /// [`Store::get_partial_values`](crate::store::Store::get_partial_values)
    /// and [`Store::delete_dir`](crate::store::Store::delete_dir).
    pub concurrency: usize,
    /// Retries of transient failures, with exponential backoff (used when the
    /// store is opened from a URL; a backend given to [`ObjectStore::new`]
    /// keeps its own).
    pub retry: RetryConfig,
    /// The largest value a read may return; a server that sends (or
    /// announces) more is an error, not an allocation.
    pub max_value_size: u64,
    /// [`Store::set_if_unchanged`](crate::store::Store::set_if_unchanged) is
    /// available (the backend honours `If-Match`/`If-None-Match`).
    pub conditional_writes: bool,
    /// The backend can list keys (false for HTTP servers).
    pub listing: bool,
    /// Read the backend's settings from the environment (`AWS_*` for S3,
    /// `GOOGLE_*` for GCS, `AZURE_*` for Azure) before applying
    /// [`ObjectStoreOptions::config`].
    pub from_env: bool,
    /// Backend settings as `object_store` names them (`aws_endpoint`,
    /// `aws_access_key_id`, `aws_allow_http`, `google_service_account`,
    /// `azure_storage_account_name`, `allow_http`, ...); they override the
    /// environment.
    pub config: Vec<(String, String)>,
    /// How long connecting to the server may take (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]; `ZARR_RS_CONNECT_TIMEOUT` overrides it
    /// when [`ObjectStoreOptions::from_env`]).
    pub connect_timeout: Duration,
    /// How long a request may wait for the next bytes from the server: a
    /// server that accepts connections and never answers fails a request
    /// after this long, instead of stalling it (default
    /// [`DEFAULT_IDLE_TIMEOUT`]; `ZARR_RS_IDLE_TIMEOUT`).
    pub idle_timeout: Duration,
    /// The longest one request may take in all, transfer included (default
    /// [`DEFAULT_REQUEST_TIMEOUT`]; `ZARR_RS_REQUEST_TIMEOUT`). Retries of
    /// failed requests stop once [`RetryConfig::retry_timeout`] has passed
    /// (default here 60 s; `ZARR_RS_RETRY_TIMEOUT`), which bounds the time
    /// a failing server can hold a call.
    pub request_timeout: Duration,
}

/// The default [`ObjectStoreOptions::connect_timeout`]: 30 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default [`ObjectStoreOptions::idle_timeout`]: 60 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The default [`ObjectStoreOptions::request_timeout`]: one hour.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);
/// The default [`RetryConfig::retry_timeout`] of [`ObjectStoreOptions`]: 60 s.
pub const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for ObjectStoreOptions {
    fn default() -> Self {
        ObjectStoreOptions {
            read_only: false,
            concurrency: DEFAULT_CONCURRENCY,
            retry: RetryConfig {
                retry_timeout: DEFAULT_RETRY_TIMEOUT,
                ..RetryConfig::default()
            },
            max_value_size: DEFAULT_MAX_VALUE_SIZE,
            conditional_writes: true,
            listing: true,
            from_env: true,
            config: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// A duration from the environment: seconds (`2.5`) or with a unit (`500ms`,
/// `30s`, `2m`).
fn env_duration(name: &str) -> Result<Option<Duration>, StoreError> {
    let Ok(v) = std::env::var(name) else {
        return Ok(None);
    };
    let t = v.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x * scale < 1e9 => {
            Ok(Some(Duration::from_secs_f64(x * scale)))
        }
        _ => Err(StoreError::Other {
            key: name.to_string(),
            message: format!("{v:?} is not a duration (seconds, or 500ms, 30s, 2m)"),
        }),
    }
}

impl ObjectStoreOptions {
    /// Apply the `ZARR_RS_*_TIMEOUT` environment variables.
    fn with_env_timeouts(mut self) -> Result<Self, StoreError> {
        if let Some(d) = env_duration("ZARR_RS_CONNECT_TIMEOUT")? {
            self.connect_timeout = d;
        }
        if let Some(d) = env_duration("ZARR_RS_IDLE_TIMEOUT")? {
            self.idle_timeout = d;
        }
        if let Some(d) = env_duration("ZARR_RS_REQUEST_TIMEOUT")? {
            self.request_timeout = d;
        }
        if let Some(d) = env_duration("ZARR_RS_RETRY_TIMEOUT")? {
            self.retry.retry_timeout = d;
        }
        Ok(self)
    }

    /// The timeouts as `object_store` client settings, applied before
    /// [`ObjectStoreOptions::config`] (which may override them).
    fn timeout_config(&self) -> [(&'static str, String); 3] {
        let ms = |d: Duration| format!("{}ms", d.as_millis().max(1));
        [
            ("connect_timeout", ms(self.connect_timeout)),
            ("read_timeout", ms(self.idle_timeout)),
            ("timeout", ms(self.request_timeout)),
        ]
    }
}

/// Refuse an endpoint that is not an `http(s)://host` URL (object_store
/// would fail later, or panic).
fn check_endpoint(url: &str, endpoint: &str) -> Result<(), StoreError> {
    let bad = |why: String| {
        config_error(
            url,
            format!("endpoint {endpoint:?} (AWS_ENDPOINT_URL or aws_endpoint) is not a URL: {why}"),
        )
    };
    let parsed = ::url::Url::parse(endpoint).map_err(|e| bad(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!(
            "the scheme is {:?}, not http or https",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host".into()));
    }
    Ok(())
}

fn config_error(url: &str, message: String) -> StoreError {
    StoreError::Other {
        key: url.to_string(),
        message,
    }
}

/// Parse a configuration key for a backend.
fn key<K: FromStr>(url: &str, k: &str) -> Result<K, StoreError> {
    k.to_ascii_lowercase()
        .parse()
        .map_err(|_| config_error(url, format!("unknown object-store setting {k:?}")))
}

/// `scheme://bucket/some/prefix` -> `some/prefix`.
fn url_prefix(rest: &str) -> &str {
    rest.split_once('/')
        .map_or("", |(_, p)| p)
        .trim_matches('/')
}

/// The URL without a trailing `/`.
fn trimmed(url: &str) -> &str {
    url.trim_end_matches('/')
}

impl ObjectStore {
    /// Open the store a URL names:
    ///
    /// * `s3://bucket/prefix` (also `s3a://`): S3 or an S3-compatible server.
    ///   Settings come from the usual environment variables
    ///   (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    ///   `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ALLOW_HTTP`, ...) when
    ///   [`ObjectStoreOptions::from_env`], then from
    ///   [`ObjectStoreOptions::config`]. An endpoint given as `http://...`
    ///   allows plain HTTP unless `AWS_ALLOW_HTTP` says otherwise;
    /// * `gs://bucket/prefix`: Google Cloud Storage (`GOOGLE_*` variables);
    /// * `az://container/prefix`, `abfs[s]://container@account.dfs.core.windows.net/prefix`,
    ///   `azure://`, `adl://`: Azure Blob Storage (`AZURE_*` variables);
    /// * `http://` and `https://`: a read-only store over a plain web server
    ///   (no listing).
    ///
    /// ```
    /// use zarr::store::{ObjectStore, ObjectStoreOptions, Store};
    /// let store = ObjectStore::from_url("https://example.com/data/a.zarr", ObjectStoreOptions::default()).unwrap();
    /// assert!(store.read_only() && !store.supports_listing());
    /// assert!(ObjectStore::from_url("ftp://x/y", ObjectStoreOptions::default()).is_err());
    /// ```
    pub fn from_url(url: &str, options: ObjectStoreOptions) -> Result<Self, StoreError> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(config_error(url, "not a URL (no scheme://)".into()));
        };
        let scheme = scheme.to_ascii_lowercase();
        let build_error = |e: object_store::Error| config_error(url, e.to_string());
        let mut options = if options.from_env {
            options.with_env_timeouts()?
        } else {
            options
        };
        let timeouts = options.timeout_config();
        let backend: Arc<dyn object_store::ObjectStore> = match scheme.as_str() {
            "s3" | "s3a" => {
                let mut b = if options.from_env {
                    AmazonS3Builder::from_env()
                } else {
                    AmazonS3Builder::new()
                };
                b = b.with_url(url);
                for (k, v) in &timeouts {
                    b = b.with_config(key::<AmazonS3ConfigKey>(url, k)?, v);
                }
                for (k, v) in &options.config {
                    b = b.with_config(key::<AmazonS3ConfigKey>(url, k)?, v);
                }
                let endpoint = b.get_config_value(&AmazonS3ConfigKey::Endpoint);
                if let Some(e) = &endpoint {
                    check_endpoint(url, e)?;
                }
                // (The builder reports `false` when nothing was said: look at
                // what was given instead.)
                let allow_given = (options.from_env
                    && std::env::var_os("AWS_ALLOW_HTTP").is_some())
                    || options.config.iter().any(|(k, _)| {
                        matches!(
                            k.to_ascii_lowercase().as_str(),
                            "aws_allow_http" | "allow_http"
                        )
                    });
                if !allow_given && endpoint.is_some_and(|e| e.starts_with("http://")) {
                    b = b.with_allow_http(true);
                }
                Arc::new(
                    b.with_retry(options.retry.clone())
                        .build()
                        .map_err(build_error)?,
                )
            }
            "gs" | "gcs" => {
                let mut b = if options.from_env {
                    GoogleCloudStorageBuilder::from_env()
                } else {
                    GoogleCloudStorageBuilder::new()
                };
                b = b.with_url(format!("gs://{rest}"));
                for (k, v) in &timeouts {
                    b = b.with_config(key::<GoogleConfigKey>(url, k)?, v);
                }
                for (k, v) in &options.config {
                    b = b.with_config(key::<GoogleConfigKey>(url, k)?, v);
                }
                Arc::new(
                    b.with_retry(options.retry.clone())
                        .build()
                        .map_err(build_error)?,
                )
            }
            "az" | "abfs" | "abfss" | "azure" | "adl" => {
                let mut b = if options.from_env {
                    MicrosoftAzureBuilder::from_env()
                } else {
                    MicrosoftAzureBuilder::new()
                };
                b = b.with_url(url);
                for (k, v) in &timeouts {
                    b = b.with_config(key::<AzureConfigKey>(url, k)?, v);
                }
                for (k, v) in &options.config {
                    b = b.with_config(key::<AzureConfigKey>(url, k)?, v);
                }
                Arc::new(
                    b.with_retry(options.retry.clone())
                        .build()
                        .map_err(build_error)?,
                )
            }
            "http" | "https" => {
                let mut b = HttpBuilder::new().with_url(trimmed(url));
                for (k, v) in &timeouts {
                    b = b.with_config(key::<ClientConfigKey>(url, k)?, v);
                }
                if scheme == "http" {
                    // The URL asks for plain HTTP.
                    b = b.with_config(ClientConfigKey::AllowHttp, "true");
                }
                for (k, v) in &options.config {
                    b = b.with_config(key::<ClientConfigKey>(url, k)?, v);
                }
                options.read_only = true;
                options.listing = false;
                options.conditional_writes = false;
                let backend = Arc::new(
                    b.with_retry(options.retry.clone())
                        .build()
                        .map_err(build_error)?,
                );
                return Ok(ObjectStore::with_name(
                    backend,
                    "",
                    trimmed(url).to_string(),
                    options,
                ));
            }
            other => {
                return Err(config_error(
                    url,
                    format!(
                        "{other}:// is not an object-storage URL (s3, gs, az, abfs, http, https)"
                    ),
                ))
            }
        };
        let root = url_prefix(rest);
        crate::store::validate_key(root)?;
        Ok(ObjectStore::with_name(
            backend,
            root,
            trimmed(url).to_string(),
            options,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_of_urls() {
        assert_eq!(url_prefix("bucket"), "");
        assert_eq!(url_prefix("bucket/"), "");
        assert_eq!(url_prefix("bucket/a.zarr"), "a.zarr");
        assert_eq!(url_prefix("bucket/a/b.zarr/"), "a/b.zarr");
        assert_eq!(url_prefix("c@acct.dfs.core.windows.net/x/y"), "x/y");
    }

    #[test]
    fn unknown_settings_are_named() {
        let options = ObjectStoreOptions {
            from_env: false,
            config: vec![("no_such_setting".into(), "1".into())],
            ..ObjectStoreOptions::default()
        };
        let e = ObjectStore::from_url("s3://bucket/a", options).unwrap_err();
        assert!(e.to_string().contains("no_such_setting"), "{e}");
    }
}
