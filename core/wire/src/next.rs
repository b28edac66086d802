//! Where the browser may be sent after signing in. `next=` comes from the address bar, so
//! it is an attacker's input: only a path on this site may pass. Both sign-in paths (the
//! password form in the browser and the OpenID callback on the server) ask this one
//! function.

/// `next` if it is a path on this site, `/` otherwise.
pub fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| stays_on_site(n)).unwrap_or("/")
}

/// A URL parser forgives a lot on the way from `next=` to the address it opens: it drops
/// tabs and newlines (`/\t/evil.example` becomes `//evil.example`), reads `\` as `/`, and
/// a server decodes `%2F` before it redirects. So the check is strict on what it lets
/// through rather than clever about what it refuses: printable ASCII only, no backslash,
/// and a single leading `/`, both as written and once percent-decoded (which also refuses
/// encoded control characters and look-alike slashes such as U+2215, written `%E2%88%95`).
fn stays_on_site(next: &str) -> bool {
    if !next.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    let decoded = percent_decoded(next.as_bytes());
    [next.as_bytes(), &decoded]
        .into_iter()
        .all(is_one_local_path)
}

fn is_one_local_path(path: &[u8]) -> bool {
    path.first() == Some(&b'/')
        && !matches!(path.get(1), Some(b'/' | b'\\'))
        && path
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\')
}

/// `%XX` decoded once; a `%` not followed by two hex digits stays as it is.
fn percent_decoded(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn paths_on_this_site_pass() {
        for ok in [
            "/",
            "/export",
            "/leaderboard?campaign=haiku-demo",
            "/leaderboard?campaign=a%20b#top",
            "/admin/campaign?campaign=x&tab=1",
            "/%2525",
        ] {
            assert_eq!(safe_next(Some(ok)), ok, "{ok:?}");
        }
    }

    #[test]
    fn everything_that_could_leave_the_site_goes_home() {
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            // Control characters the URL parser drops, raw and encoded.
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/%09/evil.example",
            "/%0A/evil.example",
            "/%0D/evil.example",
            "/%0a%0d/evil.example",
            "/%00",
            // Slashes in disguise.
            "/%2F/evil.example",
            "/%2f/evil.example",
            "%2F%2Fevil.example",
            "/%5C/evil.example",
            "/%5Cevil.example",
            "/\u{2215}/evil.example",
            "/\u{ff0f}/evil.example",
            "/%E2%88%95/evil.example",
            "/%EF%BC%8F/evil.example",
            "/ /evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
