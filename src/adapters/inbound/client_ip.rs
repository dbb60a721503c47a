//! Who the client is, for per-address limits: the peer's address, or the address a trusted reverse
//! proxy put in `X-Forwarded-For`.
//!
//! `X-Forwarded-For` is read only when the peer is one of `TRUSTED_PROXIES`, and then from the
//! right: each proxy appends the address it received the request from, so the right-most entry
//! that is not itself a trusted proxy is the first one a trusted proxy vouches for. Entries to its
//! left were written by the client and may be anything. A header that cannot be read leaves the
//! last address found (at worst the proxy's own).
//!
//! IPv6 clients are keyed by their /64 network: one host is routinely given a whole /64, so
//! counting single addresses would let it take 2^64 identities.

use std::net::{IpAddr, Ipv6Addr};

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;

use crate::config::{canonical_ip, IpNet};

/// The name of the header reverse proxies fill.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// A client's address as per-address limits count it: IPv4 as is, IPv6 as its /64 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of `ip`.
    pub fn of(ip: IpAddr) -> ClientKey {
        match canonical_ip(ip) {
            IpAddr::V6(v6) => {
                let net = u128::from(v6) & (u128::MAX << 64);
                ClientKey(IpAddr::V6(Ipv6Addr::from(net)))
            }
            v4 => ClientKey(v4),
        }
    }

    /// The address (or IPv6 network) counted.
    pub fn ip(&self) -> IpAddr {
        self.0
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V6(_) => write!(f, "{}/64", self.0),
            IpAddr::V4(_) => write!(f, "{}", self.0),
        }
    }
}

/// The client's address for a request from `peer` with `headers`, trusting `proxies`.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    // A request with no peer address (not over TCP) is the process talking to itself.
    let peer = canonical_ip(peer.unwrap_or(IpAddr::from([127, 0, 0, 1])));
    let trusted = |ip: IpAddr| proxies.iter().any(|net| net.contains(ip));
    if !trusted(peer) {
        return peer;
    }
    let mut client = peer;
    // Several headers count as one list, in order.
    let entries: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for entry in entries.iter().rev() {
        let Some(ip) = parse_entry(entry) else {
            break;
        };
        client = ip;
        if !trusted(ip) {
            break;
        }
    }
    client
}

/// The key of the client that sent `req`.
pub fn client_key(req: &HttpRequest, proxies: &[IpNet]) -> ClientKey {
    ClientKey::of(client_ip(
        req.peer_addr().map(|a| a.ip()),
        req.headers(),
        proxies,
    ))
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical_ip(ip));
    }
    entry
        .parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| canonical_ip(a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in xff {
            map.append(
                HeaderName::from_static(X_FORWARDED_FOR),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| IpNet::parse(s).unwrap()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let got = client_ip(Some(ip("203.0.113.9")), &headers(&["1.2.3.4"]), &[]);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = nets(&["10.0.0.0/8"]);
        let got = client_ip(
            Some(ip("10.0.0.2")),
            &headers(&["6.6.6.6, 198.51.100.7", "10.0.0.5"]),
            &proxies,
        );
        assert_eq!(got, ip("198.51.100.7"), "6.6.6.6 was written by the client");
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address() {
        let proxies = nets(&["10.0.0.0/8"]);
        let got = client_ip(Some(ip("203.0.113.9")), &headers(&["10.0.0.1"]), &proxies);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn a_malformed_entry_stops_the_walk_at_the_last_good_address() {
        let proxies = nets(&["10.0.0.0/8"]);
        let got = client_ip(
            Some(ip("10.0.0.2")),
            &headers(&["1.1.1.1, not-an-ip"]),
            &proxies,
        );
        assert_eq!(got, ip("10.0.0.2"));
        let got = client_ip(
            Some(ip("10.0.0.2")),
            &headers(&["[2001:db8::1]:443"]),
            &proxies,
        );
        assert_eq!(got, ip("2001:db8::1"));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2:aaaa::1")),
            ClientKey::of(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            ClientKey::of(ip("2001:db8:1:2::1")),
            ClientKey::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(ClientKey::of(ip("::ffff:1.2.3.4")).ip(), ip("1.2.3.4"));
    }
}
