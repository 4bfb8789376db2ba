//! A bounded, time-limited cache of host name lookups, shared by the
//! threads that use one client.

use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::config::IpFamily;
use ureq::unversioned::resolver::ResolvedSocketAddrs;

/// How long a successful lookup is reused: 60 s, the default of libcurl's
/// `CURLOPT_DNS_CACHE_TIMEOUT` (curl_easy_setopt(3) documentation). Like
/// libcurl, the cache ignores the DNS records' own TTL, which the standard
/// library's lookup does not return.
pub(super) const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// Maximum number of lookups kept. A client resolves its base URL's host and perhaps
/// a proxy's, so this is plenty. The bound keeps a client whose requests
/// name many hosts from growing without limit.
pub(super) const MAX_ENTRIES: usize = 32;

/// Addresses of one (host, port, IP family) and when they expire.
#[derive(Debug)]
struct Entry {
    host: String,
    port: u16,
    family: IpFamily,
    addresses: ResolvedSocketAddrs,
    expires_at: Instant,
}

impl Entry {
    fn is_for(&self, host: &str, port: u16, family: IpFamily) -> bool {
        self.port == port && self.family == family && self.host.eq_ignore_ascii_case(host)
    }
}

/// Successful lookups keyed by host, port and IP family. Host names
/// compare case-insensitively, as DNS names do. A linear search over at
/// most [`MAX_ENTRIES`] entries needs no allocation per lookup, unlike a
/// map keyed by an owned host name.
#[derive(Debug, Default)]
pub(crate) struct DnsCache {
    entries: Mutex<Vec<Entry>>,
}

impl DnsCache {
    /// Returns the cached addresses of `host`, unless they expired by `now`.
    pub(crate) fn get(
        &self,
        host: &str,
        port: u16,
        family: IpFamily,
        now: Instant,
    ) -> Option<ResolvedSocketAddrs> {
        let entries = self.lock();
        entries
            .iter()
            .find(|entry| entry.is_for(host, port, family) && now < entry.expires_at)
            .map(|entry| entry.addresses.clone())
    }

    /// Stores the addresses of a lookup that completed at `now`, replacing
    /// an older result for the same key. When the cache is full, expired
    /// entries go first, then the one closest to expiry.
    pub(crate) fn insert(
        &self,
        host: &str,
        port: u16,
        family: IpFamily,
        addresses: ResolvedSocketAddrs,
        now: Instant,
    ) {
        let mut entries = self.lock();
        entries.retain(|entry| !entry.is_for(host, port, family));
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|entry| now < entry.expires_at);
        }
        if entries.len() >= MAX_ENTRIES {
            let oldest = entries
                .iter()
                .enumerate()
                .min_by_key(|(_, entry)| entry.expires_at)
                .map(|(index, _)| index);
            if let Some(index) = oldest {
                entries.swap_remove(index);
            }
        }
        entries.push(Entry {
            host: host.to_owned(),
            port,
            family,
            addresses,
            expires_at: now + TIME_TO_LIVE,
        });
    }

    /// Drops every lookup whose addresses are all in `failed`, the
    /// addresses a connection attempt could not reach. The next request
    /// then looks the host up again, which finds the new address after a
    /// failover, instead of reusing the dead one until the lookup expires.
    pub(crate) fn forget_unreachable(&self, failed: &[SocketAddr]) {
        if failed.is_empty() {
            return;
        }
        let mut entries = self.lock();
        entries.retain(|entry| {
            !entry
                .addresses
                .iter()
                .all(|address| failed.contains(address))
        });
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Locks the entries. A thread that panicked while holding the lock
    /// still left a valid list of complete entries, so a poisoned lock is
    /// used as it is.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use ureq::unversioned::resolver::{DefaultResolver, Resolver};

    fn addresses_of(text: &[&str]) -> ResolvedSocketAddrs {
        let mut addresses = DefaultResolver::default().empty();
        for address in text {
            addresses.push(address.parse::<SocketAddr>().unwrap());
        }
        addresses
    }

    #[test]
    fn hit_until_time_to_live_passes() {
        let cache = DnsCache::default();
        let start = Instant::now();
        let addresses = addresses_of(&["192.0.2.1:443", "[2001:db8::1]:443"]);
        cache.insert("api.example", 443, IpFamily::Any, addresses.clone(), start);

        let just_before = start + TIME_TO_LIVE - Duration::from_millis(1);
        assert_eq!(
            cache.get("api.example", 443, IpFamily::Any, just_before),
            Some(addresses)
        );
        assert_eq!(
            cache.get("api.example", 443, IpFamily::Any, start + TIME_TO_LIVE),
            None
        );
    }

    #[test]
    fn key_is_host_port_and_family() {
        let cache = DnsCache::default();
        let now = Instant::now();
        let addresses = addresses_of(&["192.0.2.1:443"]);
        cache.insert("API.Example", 443, IpFamily::Any, addresses.clone(), now);

        assert_eq!(
            cache.get("api.example", 443, IpFamily::Any, now),
            Some(addresses)
        );
        assert_eq!(cache.get("api.example", 8443, IpFamily::Any, now), None);
        assert_eq!(cache.get("api.example", 443, IpFamily::Ipv4Only, now), None);
        assert_eq!(cache.get("other.example", 443, IpFamily::Any, now), None);
    }

    #[test]
    fn unreachable_lookup_forgotten() {
        let cache = DnsCache::default();
        let now = Instant::now();
        let dead = addresses_of(&["192.0.2.1:443", "192.0.2.2:443"]);
        let alive = addresses_of(&["192.0.2.1:443", "192.0.2.3:443"]);
        cache.insert("dead.example", 443, IpFamily::Any, dead, now);
        cache.insert("alive.example", 443, IpFamily::Any, alive.clone(), now);

        let failed: Vec<SocketAddr> = ["192.0.2.2:443", "192.0.2.1:443"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        cache.forget_unreachable(&failed);

        assert_eq!(cache.get("dead.example", 443, IpFamily::Any, now), None);
        assert_eq!(
            cache.get("alive.example", 443, IpFamily::Any, now),
            Some(alive)
        );
    }

    #[test]
    fn no_failed_addresses_forget_nothing() {
        let cache = DnsCache::default();
        let now = Instant::now();
        let addresses = addresses_of(&["192.0.2.1:443"]);
        cache.insert("api.example", 443, IpFamily::Any, addresses.clone(), now);

        cache.forget_unreachable(&[]);

        assert_eq!(
            cache.get("api.example", 443, IpFamily::Any, now),
            Some(addresses)
        );
    }

    #[test]
    fn insert_replaces_same_key() {
        let cache = DnsCache::default();
        let now = Instant::now();
        cache.insert(
            "api.example",
            443,
            IpFamily::Any,
            addresses_of(&["192.0.2.1:443"]),
            now,
        );
        let newer = addresses_of(&["192.0.2.2:443"]);
        cache.insert("api.example", 443, IpFamily::Any, newer.clone(), now);

        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.get("api.example", 443, IpFamily::Any, now),
            Some(newer)
        );
    }

    #[test]
    fn full_cache_evicts_oldest() {
        let cache = DnsCache::default();
        let start = Instant::now();
        for index in 0..=MAX_ENTRIES {
            let inserted_at = start + Duration::from_millis(index as u64);
            let host = format!("host{index}.example");
            cache.insert(
                &host,
                443,
                IpFamily::Any,
                addresses_of(&["192.0.2.1:443"]),
                inserted_at,
            );
        }

        let now = start + Duration::from_secs(1);
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert_eq!(cache.get("host0.example", 443, IpFamily::Any, now), None);
        assert!(cache
            .get("host1.example", 443, IpFamily::Any, now)
            .is_some());
        let newest = format!("host{MAX_ENTRIES}.example");
        assert!(cache.get(&newest, 443, IpFamily::Any, now).is_some());
    }

    #[test]
    fn full_cache_drops_expired_first() {
        let cache = DnsCache::default();
        let start = Instant::now();
        for index in 0..MAX_ENTRIES {
            let host = format!("host{index}.example");
            cache.insert(
                &host,
                443,
                IpFamily::Any,
                addresses_of(&["192.0.2.1:443"]),
                start,
            );
        }

        let later = start + TIME_TO_LIVE + Duration::from_secs(1);
        cache.insert(
            "fresh.example",
            443,
            IpFamily::Any,
            addresses_of(&["192.0.2.9:443"]),
            later,
        );

        assert_eq!(cache.len(), 1);
        assert!(cache
            .get("fresh.example", 443, IpFamily::Any, later)
            .is_some());
    }

    #[test]
    fn shared_between_threads() {
        let cache = Arc::new(DnsCache::default());
        let now = Instant::now();
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    for index in 0..MAX_ENTRIES {
                        let host = format!("host{}.example", thread * MAX_ENTRIES + index);
                        cache.insert(
                            &host,
                            443,
                            IpFamily::Any,
                            addresses_of(&["192.0.2.1:443"]),
                            now,
                        );
                        // Another thread may have evicted it already, so
                        // only the final bound is checked.
                        let _ = cache.get(&host, 443, IpFamily::Any, now);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
    }
}
