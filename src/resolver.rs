//! Name resolution for the ureq agent: IP-literal hosts skip the lookup,
//! and the addresses of a host name are reused for a minute.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

mod cache;

pub(crate) use cache::DnsCache;

/// A resolver that turns an IP-literal host such as `127.0.0.1` or `[::1]`
/// into its address directly, and caches the lookups of host names that it
/// passes to `fallback`, ureq's [`DefaultResolver`] outside tests.
///
/// ureq 3.5 resolves the host before every request, also when the request
/// then reuses a pooled connection. When a timeout applies, as it always
/// does in libavara, the default resolver spawns a thread for each lookup,
/// even for an IP literal that the standard library parses without one.
/// Skipping that thread cut the time per call of `make bench` (loopback,
/// 2 CPUs) by about 30%. The addresses returned are the ones the default
/// resolver returns.
///
/// A host name's addresses are reused for [`cache::TIME_TO_LIVE`] per
/// host, port and IP family. Failed lookups are not cached, so the next
/// request looks the name up again. The TCP connector shares the cache and
/// drops a lookup whose addresses all failed to connect.
#[derive(Debug, Default)]
pub(crate) struct CachingResolver<R = DefaultResolver> {
    fallback: R,
    cache: Arc<DnsCache>,
}

impl CachingResolver {
    /// Creates a resolver that keeps its lookups in `cache`.
    pub(crate) fn with_cache(cache: Arc<DnsCache>) -> CachingResolver {
        CachingResolver {
            fallback: DefaultResolver::default(),
            cache,
        }
    }
}

impl<R: Resolver> Resolver for CachingResolver<R> {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some((host, port)) = host_and_port(uri) else {
            return self.fallback.resolve(uri, config, timeout);
        };
        let family = config.ip_family();

        if let Ok(ip) = host.parse::<IpAddr>() {
            let address = SocketAddr::new(ip, port);
            // An address of the wrong IP family goes to the fallback, which
            // rejects it with the usual HostNotFound error.
            if family.keep_wanted([address].into_iter()).count() == 0 {
                return self.fallback.resolve(uri, config, timeout);
            }
            let mut addresses = self.empty();
            addresses.push(address);
            return Ok(addresses);
        }

        if let Some(addresses) = self.cache.get(host, port, family, Instant::now()) {
            return Ok(addresses);
        }
        let addresses = self.fallback.resolve(uri, config, timeout)?;
        self.cache
            .insert(host, port, family, addresses.clone(), Instant::now());
        Ok(addresses)
    }
}

/// Returns the host of an `http` or `https` URI, without the brackets of
/// an IPv6 literal, and its port, the scheme's default when none is given.
fn host_and_port(uri: &Uri) -> Option<(&str, u16)> {
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    let port = match (uri.port_u16(), uri.scheme_str()?) {
        (Some(port), "http" | "https") => port,
        (None, "http") => 80,
        (None, "https") => 443,
        _ => return None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Computes the address of an IP-literal URI as the resolver does.
    fn address_of(uri: &str) -> Option<SocketAddr> {
        let uri = uri.parse::<Uri>().unwrap();
        let (host, port) = host_and_port(&uri)?;
        let ip: IpAddr = host.parse().ok()?;
        Some(SocketAddr::new(ip, port))
    }

    #[test]
    fn literal_hosts_resolve_directly() {
        assert_eq!(
            address_of("http://127.0.0.1:8080/v1/express"),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            address_of("https://[::1]/v1"),
            Some("[::1]:443".parse().unwrap())
        );
        assert_eq!(
            address_of("http://192.0.2.7"),
            Some("192.0.2.7:80".parse().unwrap())
        );
    }

    #[test]
    fn host_names_use_fallback() {
        assert_eq!(address_of("https://api.avarasoftware.com/v1"), None);
        assert_eq!(address_of("http://localhost:8080"), None);
        assert_eq!(address_of("socks5://127.0.0.1:1080"), None);
    }

    #[test]
    fn resolver_filters_ip_family() {
        let resolver = <CachingResolver>::default();
        let uri: Uri = "http://127.0.0.1:9/".parse().unwrap();
        let any = Config::default();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::NotHappening,
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let addresses = resolver.resolve(&uri, &any, timeout).unwrap();
        assert_eq!(addresses.len(), 1);
        assert_eq!(addresses[0], "127.0.0.1:9".parse().unwrap());

        let ipv6_only = Config::builder()
            .ip_family(ureq::config::IpFamily::Ipv6Only)
            .build();
        assert!(matches!(
            resolver.resolve(&uri, &ipv6_only, timeout),
            Err(ureq::Error::HostNotFound)
        ));
    }

    /// A fallback that counts its lookups and fails while `failing` is set.
    #[derive(Debug, Default)]
    struct CountingResolver {
        lookups: AtomicUsize,
        failing: AtomicBool,
    }

    impl Resolver for CountingResolver {
        fn resolve(
            &self,
            uri: &Uri,
            _: &Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            if self.failing.load(Ordering::SeqCst) {
                return Err(ureq::Error::HostNotFound);
            }
            let (_, port) = host_and_port(uri).unwrap();
            let mut addresses = self.empty();
            addresses.push(SocketAddr::new([192, 0, 2, 1].into(), port));
            Ok(addresses)
        }
    }

    fn no_timeout() -> NextTimeout {
        NextTimeout {
            after: ureq::unversioned::transport::time::Duration::NotHappening,
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        }
    }

    fn resolve_with(
        resolver: &CachingResolver<CountingResolver>,
        uri: &str,
        config: &Config,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        resolver.resolve(&uri.parse::<Uri>().unwrap(), config, no_timeout())
    }

    fn lookups(resolver: &CachingResolver<CountingResolver>) -> usize {
        resolver.fallback.lookups.load(Ordering::SeqCst)
    }

    #[test]
    fn host_name_looked_up_once() {
        let resolver = CachingResolver::<CountingResolver>::default();
        let config = Config::default();

        let first = resolve_with(&resolver, "http://api.example:8080/v1", &config).unwrap();
        let again = resolve_with(&resolver, "http://API.example:8080/other", &config).unwrap();

        assert_eq!(lookups(&resolver), 1);
        assert_eq!(first, again);
        assert_eq!(first[0], "192.0.2.1:8080".parse().unwrap());
    }

    #[test]
    fn cache_keyed_by_port_and_family() {
        let resolver = CachingResolver::<CountingResolver>::default();
        let any = Config::default();
        let ipv4_only = Config::builder()
            .ip_family(ureq::config::IpFamily::Ipv4Only)
            .build();

        resolve_with(&resolver, "https://api.example", &any).unwrap();
        resolve_with(&resolver, "https://api.example:443", &any).unwrap();
        assert_eq!(lookups(&resolver), 1);

        resolve_with(&resolver, "https://api.example:8443", &any).unwrap();
        assert_eq!(lookups(&resolver), 2);

        resolve_with(&resolver, "https://api.example", &ipv4_only).unwrap();
        assert_eq!(lookups(&resolver), 3);
    }

    #[test]
    fn failed_lookup_not_cached() {
        let resolver = CachingResolver::<CountingResolver>::default();
        let config = Config::default();
        resolver.fallback.failing.store(true, Ordering::SeqCst);

        let failed = resolve_with(&resolver, "http://api.example", &config);
        assert!(matches!(failed, Err(ureq::Error::HostNotFound)));

        resolver.fallback.failing.store(false, Ordering::SeqCst);
        resolve_with(&resolver, "http://api.example", &config).unwrap();
        resolve_with(&resolver, "http://api.example", &config).unwrap();
        assert_eq!(lookups(&resolver), 2);
    }

    #[test]
    fn literal_hosts_bypass_cache() {
        let resolver = CachingResolver::<CountingResolver>::default();
        let config = Config::default();

        let addresses = resolve_with(&resolver, "http://127.0.0.1:9", &config).unwrap();
        resolve_with(&resolver, "https://[::1]", &config).unwrap();

        assert_eq!(addresses[0], "127.0.0.1:9".parse().unwrap());
        assert_eq!(lookups(&resolver), 0);
        assert_eq!(resolver.cache.len(), 0);
    }
}
