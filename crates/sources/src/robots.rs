//! robots.txt (RFC 9309), honoured for the page-reading kinds (`html`,
//! `reviews`): feeds and APIs exist to be fetched by programs.
//!
//! repmon obeys the group naming `repmon` when there is one, else the `*`
//! group. Of the rules that match a path the longest wins; on a tie, Allow.

/// The product token repmon looks for in `User-agent:` lines.
pub const ROBOTS_TOKEN: &str = "repmon";

/// (allow, pattern): the pattern as written, `*` and a final `$` meaningful.
type Rule = (bool, String);

/// The rules of one host that apply to repmon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Robots {
    rules: Vec<Rule>,
}

impl Robots {
    /// Everything allowed: no robots.txt (4xx), or an empty one.
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Reads a robots.txt body. Never fails: lines that are not rules are
    /// skipped, as crawlers are expected to do.
    pub fn parse(text: &str) -> Robots {
        // (agents of the group, its rules)
        let mut groups: Vec<(Vec<String>, Vec<Rule>)> = Vec::new();
        let mut open_agents = false; // the last line was a User-agent line
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !open_agents {
                        groups.push((Vec::new(), Vec::new()));
                    }
                    open_agents = true;
                    if let Some(g) = groups.last_mut() {
                        g.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    open_agents = false;
                    // An empty Disallow allows everything: it adds nothing.
                    if value.is_empty() {
                        continue;
                    }
                    if let Some(g) = groups.last_mut() {
                        g.1.push((key == "allow", value.to_string()));
                    }
                }
                // Sitemap, Crawl-delay, ...: not rules of a group.
                _ => {}
            }
        }
        let pick = |wanted: &dyn Fn(&str) -> bool| -> Option<Vec<Rule>> {
            let mut rules = Vec::new();
            let mut found = false;
            for (agents, group_rules) in &groups {
                if agents.iter().any(|a| wanted(a)) {
                    found = true;
                    rules.extend(group_rules.iter().cloned());
                }
            }
            found.then_some(rules)
        };
        let rules = pick(&|a| a == ROBOTS_TOKEN)
            .or_else(|| pick(&|a| a == "*"))
            .unwrap_or_default();
        Robots { rules }
    }

    /// Whether a path (with its query, as in the URL) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if !matches(pattern, path) {
                continue;
            }
            let len = pattern.len();
            best = match best {
                Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                _ => Some((len, *allow)),
            };
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Whether a robots.txt pattern matches the start of `path`: `*` is any run
/// of characters, a final `$` anchors the end.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    // Classic glob matching with one backtrack point for the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if i == p.len() {
            if !anchored || j == s.len() {
                return true;
            }
        } else if p[i] == b'*' {
            star = Some((i, j));
            i += 1;
            continue;
        } else if j < s.len() && p[i] == s[j] {
            i += 1;
            j += 1;
            continue;
        }
        // Mismatch (or an anchored end not reached): let the last `*` eat one more byte.
        match star {
            Some((si, sj)) if sj < s.len() => {
                star = Some((si, sj + 1));
                i = si + 1;
                j = sj + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TXT: &str = "# comment\n\
        User-agent: *\n\
        Disallow: /private\n\
        Disallow: /*.pdf$\n\
        \n\
        User-agent: otherbot\n\
        User-agent: REPMON # us\n\
        Disallow: /forum/closed\n\
        Allow: /forum/closed/open\n\
        Disallow: /search?\n\
        Sitemap: https://x.example/sitemap.xml\n";

    #[test]
    fn the_repmon_group_wins_over_star_and_the_longest_rule_decides() {
        let r = Robots::parse(TXT);
        assert!(!r.allows("/forum/closed/42"));
        assert!(r.allows("/forum/closed/open/42"));
        assert!(!r.allows("/search?q=zon"));
        assert!(r.allows("/search"));
        // The `*` group is not ours when a repmon group exists.
        assert!(r.allows("/private/x"));
        assert!(r.allows("/robots.txt"));
    }

    #[test]
    fn star_group_wildcards_and_anchors() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /private\nDisallow: /*.pdf$\nAllow: /private/ok\nDisallow:\n",
        );
        assert!(!r.allows("/private"));
        assert!(!r.allows("/private/x"));
        assert!(r.allows("/private/ok/1"));
        assert!(!r.allows("/files/a.pdf"));
        assert!(r.allows("/files/a.pdf?x=1"));
        assert!(r.allows("/public"));
    }

    #[test]
    fn ties_go_to_allow_and_nonsense_is_skipped() {
        let r = Robots::parse("User-agent: *\nDisallow: /a\nAllow: /a\n<html>garbage</html>\n");
        assert!(r.allows("/a/b"));
        assert!(Robots::parse("").allows("/x"));
        assert!(Robots::parse("User-agent: googlebot\nDisallow: /\n").allows("/x"));
        assert!(!Robots::parse("User-agent: *\nDisallow: /\n").allows("/x"));
    }

    #[test]
    fn glob_matching() {
        assert!(matches("/a*c", "/abbbc/d"));
        assert!(matches("/a*c$", "/abbbc"));
        assert!(!matches("/a*c$", "/abbbcd"));
        assert!(matches("*", ""));
        assert!(!matches("/x", "/"));
        assert!(matches("/*/*/z", "/a/b/c/z"));
    }
}
