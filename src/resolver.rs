//! Name resolution for the ureq agent: IP-literal hosts skip the lookup.

use std::net::{IpAddr, SocketAddr};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// A resolver that turns an IP-literal host such as `127.0.0.1` or `[::1]`
/// into its address directly and passes host names to ureq's
/// [`DefaultResolver`].
///
/// ureq 3.5 resolves the host before every request, also when the request
/// then reuses a pooled connection. When a timeout applies, as it always
/// does in libavara, the default resolver spawns a thread for each lookup,
/// even for an IP literal that the standard library parses without one.
/// Skipping that thread cut the time per call of `make bench` (loopback,
/// 2 CPUs) by about 30%. The addresses returned are the ones the default
/// resolver returns.
#[derive(Debug, Default)]
pub(crate) struct LiteralIpResolver {
    fallback: DefaultResolver,
}

impl Resolver for LiteralIpResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        // An address of the wrong IP family goes to the fallback, which
        // rejects it with the usual HostNotFound error.
        let wanted = literal_socket_addr(uri).filter(|address| {
            config
                .ip_family()
                .keep_wanted([*address].into_iter())
                .count()
                == 1
        });
        match wanted {
            Some(address) => {
                let mut addresses = self.empty();
                addresses.push(address);
                Ok(addresses)
            }
            None => self.fallback.resolve(uri, config, timeout),
        }
    }
}

/// Returns the socket address of an `http` or `https` URI whose host is an
/// IP literal, with the scheme's default port when none is given.
fn literal_socket_addr(uri: &Uri) -> Option<SocketAddr> {
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = host.parse().ok()?;
    let port = match (uri.port_u16(), uri.scheme_str()?) {
        (Some(port), "http" | "https") => port,
        (None, "http") => 80,
        (None, "https") => 443,
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address_of(uri: &str) -> Option<SocketAddr> {
        literal_socket_addr(&uri.parse::<Uri>().unwrap())
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
        let resolver = LiteralIpResolver::default();
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
}
