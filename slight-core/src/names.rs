//! The name rule of the compiled path: how a Slight name becomes a Rust identifier (and back),
//! so Rust code can call compiled Slight functions by a predictable name.
//!
//! # The rule
//!
//! The name is encoded character by character:
//!
//! 1. An ASCII letter or digit stays as it is (a digit at the very start is escaped, rule 3, so
//!    the result never starts with a digit; Slight symbols cannot start with one anyway).
//! 2. A `-` with an ASCII letter or digit on both sides becomes `_`: `make-adder` → `make_adder`.
//! 3. Every other character is an *escape*: `__`, a code, and a closing `_` — the closing `_` is
//!    left out when the escape ends the name. The codes:
//!
//!    | char | code | | char | code | | char | code |
//!    |---|---|---|---|---|---|---|---|
//!    | `?` | `p` | | `<` | `lt` | | `&` | `amp` |
//!    | `!` | `bang` | | `>` | `gt` | | `$` | `dollar` |
//!    | `/` | `s` | | `=` | `eq` | | `^` | `caret` |
//!    | `*` | `star` | | `.` | `dot` | | `~` | `tilde` |
//!    | `+` | `plus` | | `%` | `pct` | | `@` | `at` |
//!    | `-` (not between letters/digits) | `dash` | | `:` | `colon` | | `_` | `u` |
//!
//!    and any other character (non-ASCII letters, a leading digit) is `x` followed by its code
//!    point in lowercase hex: `λ` → `__x3bb`.
//! 4. If the result is a Rust keyword (strict, reserved or edition-2024 reserved, e.g. `fn`,
//!    `type`, `match`, `loop`, `self`), a `_` is appended: `type` → `type_`.
//!
//! Examples: `empty?` → `empty__p`, `set!` → `set__bang`, `list/map` → `list__s_map`,
//! `*count*` → `__star_count__star`, `<=` → `__lt___eq`, `a_b` → `a__u_b`, `a--b` →
//! `a__dash___dash_b`, `list->vec` → `list__dash___gt_vec`, `fn` → `fn_`.
//!
//! # Why it is injective
//!
//! Read left to right, an identifier from rules 1–3 is a sequence of: a letter or digit (rule
//! 1), a single `_` followed by a letter or digit (rule 2), or `__` + a code from `[a-z0-9]*`
//! ended by exactly one `_` or the end of the name (rule 3). These three start differently (no
//! `_`, `_` + not-`_`, `__`), the codes are pairwise distinct and delimited, so the reading is
//! unique. Rule 4's trailing `_` is never produced by rules 1–3, which end in a letter or digit.
//! [`slight_name`] is that reading; the tests check `slight_name(rust_ident(s)) == Some(s)`
//! exhaustively over short names built from the characters that exercise every rule.
//!
//! Generated code should `#[allow(non_snake_case)]`: escapes contain `__`, which rustc's
//! snake-case lint rejects, and Slight names may contain capitals (`Point`).

/// The escape codes of rule 3 (the `x` + hex fallback aside).
const CODES: &[(char, &str)] = &[
    ('?', "p"),
    ('!', "bang"),
    ('/', "s"),
    ('*', "star"),
    ('+', "plus"),
    ('-', "dash"),
    ('_', "u"),
    ('<', "lt"),
    ('>', "gt"),
    ('=', "eq"),
    ('.', "dot"),
    ('%', "pct"),
    (':', "colon"),
    ('&', "amp"),
    ('$', "dollar"),
    ('^', "caret"),
    ('~', "tilde"),
    ('@', "at"),
];

/// Words that cannot be plain identifiers (strict and reserved keywords of all editions,
/// including `gen` reserved in 2024); they get a trailing `_`.
pub const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box",
    "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// The Rust identifier for a Slight name (see the module docs for the rule). Always a valid,
/// non-keyword Rust identifier; distinct names give distinct identifiers.
pub fn rust_ident(slight_name: &str) -> String {
    let chars: Vec<char> = slight_name.chars().collect();
    let mut out = String::with_capacity(slight_name.len() + 4);
    let last = chars.len().saturating_sub(1);
    for (i, &c) in chars.iter().enumerate() {
        let alnum_at = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_ascii_alphanumeric());
        if c.is_ascii_alphabetic() || (c.is_ascii_digit() && i > 0) {
            out.push(c);
            continue;
        }
        if c == '-' && alnum_at(i.checked_sub(1)) && alnum_at(Some(i + 1)) {
            out.push('_');
            continue;
        }
        out.push_str("__");
        match CODES.iter().find(|(ch, _)| *ch == c) {
            Some((_, code)) => out.push_str(code),
            None => {
                use std::fmt::Write;
                let _ = write!(out, "x{:x}", c as u32);
            }
        }
        if i != last {
            out.push('_');
        }
    }
    if chars.is_empty() {
        out.push_str("__");
    }
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

/// The Slight name an identifier made by [`rust_ident`] came from; `None` for identifiers
/// `rust_ident` never produces (so `slight_name(id).map(|n| rust_ident(&n)) == Some(id)`).
pub fn slight_name(rust_ident_text: &str) -> Option<String> {
    let decoded = decode(rust_ident_text)?;
    (rust_ident(&decoded) == rust_ident_text).then_some(decoded)
}

fn decode(ident: &str) -> Option<String> {
    if ident == "__" {
        return Some(String::new());
    }
    if let Some(stem) = ident.strip_suffix('_') {
        return is_keyword(stem).then(|| stem.to_string());
    }
    let b = ident.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_alphanumeric() => {
                out.push(c as char);
                i += 1;
            }
            b'_' if b.get(i + 1) == Some(&b'_') => {
                let start = i + 2;
                let mut end = start;
                while end < b.len() && (b[end].is_ascii_lowercase() || b[end].is_ascii_digit()) {
                    end += 1;
                }
                let code = &ident[start..end];
                let c = match CODES.iter().find(|(_, k)| *k == code) {
                    Some((c, _)) => *c,
                    None => {
                        let hex = code.strip_prefix('x')?;
                        char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                    }
                };
                out.push(c);
                i = end;
                if i < b.len() {
                    if b[i] != b'_' {
                        return None;
                    }
                    i += 1;
                }
            }
            b'_' => {
                out.push('-');
                i += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn examples() {
        let cases = [
            ("fib", "fib"),
            ("make-adder", "make_adder"),
            ("list-2", "list_2"),
            ("empty?", "empty__p"),
            ("set!", "set__bang"),
            ("list/map", "list__s_map"),
            ("*count*", "__star_count__star"),
            ("+", "__plus"),
            ("<=", "__lt___eq"),
            ("a_b", "a__u_b"),
            ("_", "__u"),
            ("a--b", "a__dash___dash_b"),
            ("-a", "__dash_a"),
            ("a-", "a__dash"),
            ("list->vec", "list__dash___gt_vec"),
            ("λ", "__x3bb"),
            ("Point", "Point"),
            ("fn", "fn_"),
            ("type", "type_"),
            ("match", "match_"),
            ("loop", "loop_"),
            ("self", "self_"),
            ("Self", "Self_"),
            ("1a", "__x31_a"),
            ("", "__"),
        ];
        for (slight, rust) in cases {
            assert_eq!(rust_ident(slight), rust, "rust_ident({slight:?})");
            assert_eq!(slight_name(rust).as_deref(), Some(slight), "slight_name({rust:?})");
        }
    }

    #[test]
    fn tricky_pairs_differ() {
        let pairs = [
            ("empty?", "empty-p"),
            ("set!", "set-bang"),
            ("a_b", "a-b"),
            ("a-_b", "a_-b"),
            ("list/map", "list-s-map"),
            ("list/map", "list--map"),
            ("a--b", "a-/b"),
            ("a?b", "a-p-b"),
            ("a?", "a-p"),
            ("--?", "----p"),
            ("fn_", "fn"),
            ("fn-", "fn"),
            ("x3bb", "λ"),
            ("*x*", "-star-x-star"),
            ("<=", "lt-eq"),
            ("a__b", "a--b"),
            ("a_", "a-"),
        ];
        for (a, b) in pairs {
            assert_ne!(rust_ident(a), rust_ident(b), "{a:?} and {b:?} collide");
        }
    }

    /// Every name up to length 4 over an alphabet that exercises all the rules round-trips
    /// through `slight_name`, and no two of them share an identifier.
    #[test]
    fn injective_exhaustive_small() {
        let alphabet = ['a', 'p', 'u', 'x', '1', '-', '_', '?', '/', '!', '<', '=', 'é'];
        let mut names = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for n in &frontier {
                for c in alphabet {
                    let mut m = n.clone();
                    m.push(c);
                    next.push(m);
                }
            }
            names.extend(next.iter().cloned());
            frontier = next;
        }
        let mut seen: HashMap<String, String> = HashMap::new();
        for n in &names {
            let id = rust_ident(n);
            assert_eq!(slight_name(&id).as_ref(), Some(n), "round trip of {n:?} via {id:?}");
            if let Some(prev) = seen.insert(id.clone(), n.clone()) {
                panic!("{prev:?} and {n:?} both map to {id:?}");
            }
        }
        // keywords too
        for k in KEYWORDS {
            assert_eq!(slight_name(&rust_ident(k)).as_deref(), Some(*k));
        }
    }

    #[test]
    fn identifiers_are_valid() {
        let names = ["make-adder", "empty?", "*count*", "<=", "_", "fn", "self", "λ", "1x", "", "a.b", "x:i64"];
        for n in names.iter().copied().chain(KEYWORDS.iter().copied()) {
            let id = rust_ident(n);
            let mut chars = id.chars();
            let first = chars.next().unwrap();
            assert!(first.is_ascii_alphabetic() || first == '_', "{id}");
            assert!(chars.all(|c| c.is_ascii_alphanumeric() || c == '_'), "{id}");
            assert!(id != "_" && !is_keyword(&id), "{id}");
            #[cfg(feature = "codegen")]
            assert!(syn::parse_str::<syn::Ident>(&id).is_ok(), "{id}");
        }
    }

    #[test]
    fn foreign_identifiers_are_rejected() {
        for id in ["a___b", "a__zz_b", "__p_", "a_", "x__", "a__p_", "_a", "a_b_", "__x110000", "a__s__b", "a__pb"] {
            assert_eq!(slight_name(id), None, "{id}");
        }
    }
}
