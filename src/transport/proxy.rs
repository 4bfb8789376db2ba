//! The proxy a client uses when its options set none: the curl-style
//! proxy environment variables.

use crate::config::EnvLookup;

use super::errors::host_of;

/// A proxy URL and the environment variable it came from.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct EnvProxy {
    pub(super) variable: &'static str,
    pub(super) url: String,
}

/// Picks the proxy for `base_url` from the environment as curl does:
/// `HTTPS_PROXY` for https, `HTTP_PROXY` for http, then `ALL_PROXY`,
/// unless `NO_PROXY` matches the host. The lowercase name of each variable
/// wins over the uppercase one.
pub(super) fn proxy_from_env(base_url: &str, env: EnvLookup<'_>) -> Option<EnvProxy> {
    let either = |upper: &'static str, lower: &'static str| {
        let found = |variable: &'static str| env(variable).map(|url| EnvProxy { variable, url });
        found(lower).or_else(|| found(upper))
    };
    let https = base_url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    let proxy = if https {
        either("HTTPS_PROXY", "https_proxy")
    } else {
        either("HTTP_PROXY", "http_proxy")
    }
    .or_else(|| either("ALL_PROXY", "all_proxy"))?;

    let host = host_without_port(host_of(base_url));
    match either("NO_PROXY", "no_proxy") {
        Some(list) if no_proxy_matches(&list.url, host) => None,
        _ => Some(proxy),
    }
}

fn host_without_port(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

/// True when `host` matches an entry of a comma-separated `NO_PROXY` list:
/// `*`, the host itself, or a domain suffix with or without a leading dot.
fn no_proxy_matches(list: &str, host: &str) -> bool {
    list.split(',').map(str::trim).any(|entry| {
        let entry = host_without_port(entry);
        if entry == "*" {
            return true;
        }
        let domain = entry.trim_start_matches("*.").trim_start_matches('.');
        !domain.is_empty()
            && (host.eq_ignore_ascii_case(domain)
                || host
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", domain.to_ascii_lowercase())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }
    #[test]
    fn proxy_variable_follows_scheme() {
        let env = env_of(&[
            ("HTTPS_PROXY", "http://secure:1"),
            ("http_proxy", "http://plain:2"),
        ]);
        assert_eq!(
            proxy_from_env("https://api.example", &env),
            Some(EnvProxy {
                variable: "HTTPS_PROXY",
                url: "http://secure:1".to_owned()
            })
        );
        assert_eq!(
            proxy_from_env("http://api.example", &env),
            Some(EnvProxy {
                variable: "http_proxy",
                url: "http://plain:2".to_owned()
            })
        );
        assert_eq!(proxy_from_env("http://api.example", &env_of(&[])), None);
        let all = env_of(&[("ALL_PROXY", "http://all:3"), ("all_proxy", "http://low:4")]);
        assert_eq!(
            proxy_from_env("https://x", &all),
            Some(EnvProxy {
                variable: "all_proxy",
                url: "http://low:4".to_owned()
            })
        );
    }

    #[test]
    fn no_proxy_patterns() {
        assert!(no_proxy_matches("*", "anything"));
        assert!(no_proxy_matches("localhost, 127.0.0.1", "127.0.0.1"));
        assert!(no_proxy_matches(".example.com", "api.example.com"));
        assert!(no_proxy_matches("example.com", "api.EXAMPLE.com"));
        assert!(no_proxy_matches("example.com:443", "example.com"));
        assert!(!no_proxy_matches("example.com", "badexample.com"));
        assert!(!no_proxy_matches("", "example.com"));
        let env = env_of(&[("HTTP_PROXY", "http://p:1"), ("NO_PROXY", "127.0.0.1")]);
        assert_eq!(proxy_from_env("http://127.0.0.1:8080", &env), None);
    }

    #[test]
    fn host_without_port_strips_port() {
        assert_eq!(host_without_port("api.example:8443"), "api.example");
        assert_eq!(host_without_port("[::1]:80"), "::1");
    }
}
