//! Stable document identities.
//!
//! A post seen again, in the next poll or through another source, must get
//! the same id so the store updates it instead of counting it twice. The
//! permalink is the best key; tracking parameters are dropped from it
//! because the same post is shared with many of them.

use sha2::{Digest, Sha256};
use url::Url;

/// Query parameters that only say how a reader arrived, never which post it is.
const TRACKING_EXACT: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "li_fat_id",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "_ga",
    "_gl",
    "ref_src",
];

fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_EXACT.contains(&key.as_str())
}

/// The URL with tracking parameters removed (the fragment is kept: on a
/// forum it names the post). Other parameters keep their order and encoding.
pub fn canonical_url(url: &Url) -> Url {
    let Some(query) = url.query() else {
        return url.clone();
    };
    if !query
        .split('&')
        .any(|p| is_tracking(p.split('=').next().unwrap_or("")))
    {
        return url.clone();
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !is_tracking(p.split('=').next().unwrap_or("")))
        .collect();
    let mut out = url.clone();
    if kept.is_empty() {
        out.set_query(None);
    } else {
        out.set_query(Some(&kept.join("&")));
    }
    out
}

/// The id of a document that has a permalink.
pub fn id_for_link(link: &Url) -> String {
    hex_prefix(canonical_url(link).as_str().as_bytes())
}

/// The id of a document without a permalink: its source and the source's own id for it.
pub fn id_for_guid(source_id: &str, guid: &str) -> String {
    let mut h = Sha256::new();
    h.update(source_id.as_bytes());
    h.update(b"\n");
    h.update(guid.as_bytes());
    to_hex(&h.finalize()[..16])
}

fn hex_prefix(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes)[..16])
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn tracking_parameters_are_dropped_and_the_rest_kept() {
        assert_eq!(
            canonical_url(&u(
                "https://a.example/p?id=3&utm_source=x&UTM_medium=y&fbclid=z#post-4"
            ))
            .as_str(),
            "https://a.example/p?id=3#post-4"
        );
        assert_eq!(
            canonical_url(&u("https://a.example/p?utm_source=x")).as_str(),
            "https://a.example/p"
        );
        assert_eq!(
            canonical_url(&u("https://a.example/p?a=%20b&c")).as_str(),
            "https://a.example/p?a=%20b&c"
        );
    }

    #[test]
    fn ids_are_stable_32_hex_and_ignore_tracking() {
        let a = id_for_link(&u("https://a.example/p?utm_campaign=q"));
        let b = id_for_link(&u("https://a.example/p"));
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(
            id_for_link(&u("https://a.example/p#post-1")),
            id_for_link(&u("https://a.example/p#post-2"))
        );
        assert_eq!(id_for_guid("s", "g"), id_for_guid("s", "g"));
        assert_ne!(id_for_guid("s", "g"), id_for_guid("t", "g"));
    }
}
