//! `string/` builtins (`string/length` and `string/concat` live in `core.rs`). They follow
//! JavaScript's String methods, as the original interpreter did, except that every length and
//! index counts Unicode characters (scalar values), not UTF-16 units or bytes, and that
//! out-of-range accesses and bad counts are errors rather than `""`, `NaN` or a `RangeError`.

use super::{arg_int, arg_str, check_collection, check_string, def, expect_list, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::Value;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "string/substring",
        2,
        Some(3),
        b_substring,
        "The characters from start up to (not including) end (default: the length). Like JavaScript: \
         indices are clamped to 0..length and swapped when start > end; they must be integers.",
        "(string/substring s start [end])",
        "(string/substring \"hello\" 4 1) => \"ell\"",
    ),
    def(
        "string/slice",
        2,
        Some(3),
        b_slice,
        "The characters from start up to (not including) end (default: the length); a negative \
         index counts from the end; indices are clamped, and start >= end gives \"\".",
        "(string/slice s start [end])",
        "(string/slice \"hello world\" -5) => \"world\"",
    ),
    def(
        "string/index-of",
        2,
        Some(3),
        b_index_of,
        "The character index of the first occurrence of sub at or after from (default 0, clamped to \
         0..length), or -1.",
        "(string/index-of s sub [from])",
        "(string/index-of \"héllo\" \"l\") => 2",
    ),
    def(
        "string/last-index-of",
        2,
        Some(3),
        b_last_index_of,
        "The character index of the last occurrence of sub that starts at or before from (default: \
         the length, clamped to 0..length), or -1.",
        "(string/last-index-of s sub [from])",
        "(string/last-index-of \"hello world\" \"o\") => 7",
    ),
    def(
        "string/replace",
        3,
        Some(3),
        b_replace,
        "s with the first occurrence of pattern replaced by replacement (taken literally: no `$` \
         patterns); an empty pattern inserts at the start.",
        "(string/replace s pattern replacement)",
        "(string/replace \"a-b-c\" \"-\" \"+\") => \"a+b-c\"",
    ),
    def(
        "string/replace-all",
        3,
        Some(3),
        b_replace_all,
        "s with every non-overlapping occurrence of pattern replaced (literally); an empty pattern \
         inserts between all characters. Error when the result would exceed 100000000 bytes.",
        "(string/replace-all s pattern replacement)",
        "(string/replace-all \"a-b-c\" \"-\" \"+\") => \"a+b+c\"",
    ),
    def(
        "string/split",
        2,
        Some(2),
        b_split,
        "The list of pieces of s between occurrences of separator; \"\" splits into characters \
         (and gives () for \"\"), any other separator gives at least one piece.",
        "(string/split s separator)",
        "(string/split \"a,b,,c\" \",\") => (\"a\" \"b\" \"\" \"c\")",
    ),
    def(
        "string/join",
        1,
        Some(2),
        b_join,
        "The elements of list joined with separator (default \",\", like JavaScript); strings are \
         used as they are, other values in print form (compat).",
        "(string/join list [separator])",
        "(string/join (list \"a\" 1 :b) \"-\") => \"a-1-:b\"",
    ),
    def(
        "string/trim",
        1,
        Some(1),
        b_trim,
        "s without leading and trailing whitespace (JavaScript's set: Unicode spaces, line \
         terminators and U+FEFF).",
        "(string/trim s)",
        "(string/trim \"  hi \\n\") => \"hi\"",
    ),
    def(
        "string/trim-start",
        1,
        Some(1),
        b_trim_start,
        "s without leading whitespace (same set as string/trim).",
        "(string/trim-start s)",
        "(string/trim-start \"  hi  \") => \"hi  \"",
    ),
    def(
        "string/trim-end",
        1,
        Some(1),
        b_trim_end,
        "s without trailing whitespace (same set as string/trim).",
        "(string/trim-end s)",
        "(string/trim-end \"  hi  \") => \"  hi\"",
    ),
    def(
        "string/upper",
        1,
        Some(1),
        b_upper,
        "s in upper case (full Unicode mapping: \"ß\" becomes \"SS\").",
        "(string/upper s)",
        "(string/upper \"straße\") => \"STRASSE\"",
    ),
    def(
        "string/lower",
        1,
        Some(1),
        b_lower,
        "s in lower case (full Unicode mapping).",
        "(string/lower s)",
        "(string/lower \"ÉTÉ\") => \"été\"",
    ),
    def(
        "string/starts-with?",
        2,
        Some(2),
        b_starts_with,
        "true when s begins with prefix (every string begins with \"\").",
        "(string/starts-with? s prefix)",
        "(string/starts-with? \"hello\" \"he\") => true",
    ),
    def(
        "string/ends-with?",
        2,
        Some(2),
        b_ends_with,
        "true when s ends with suffix (every string ends with \"\").",
        "(string/ends-with? s suffix)",
        "(string/ends-with? \"hello\" \"lo\") => true",
    ),
    def(
        "string/includes?",
        2,
        Some(2),
        b_includes,
        "true when sub occurs in s (every string includes \"\").",
        "(string/includes? s sub)",
        "(string/includes? \"hello\" \"ell\") => true",
    ),
    def(
        "string/char-at",
        2,
        Some(2),
        b_char_at,
        "The character at a 0-based index, as a one-character string. Error when the index is \
         negative or not less than the length.",
        "(string/char-at s index)",
        "(string/char-at \"héllo\" 1) => \"é\"",
    ),
    def(
        "string/char-code",
        1,
        Some(2),
        b_char_code,
        "The Unicode code point of the character at a 0-based index (default 0). Error when the \
         index is out of range (also for \"\").",
        "(string/char-code s [index])",
        "(string/char-code \"A\") => 65",
    ),
    def(
        "string/from-char-code",
        1,
        None,
        b_from_char_code,
        "The string of the given Unicode code points. Error for a value that is not a code point \
         (negative, above 0x10FFFF, or a surrogate 0xD800–0xDFFF).",
        "(string/from-char-code code...)",
        "(string/from-char-code 72 105 128512) => \"Hi😀\"",
    ),
    def(
        "string/repeat",
        2,
        Some(2),
        b_repeat,
        "s repeated count times. Error when count is negative or the result would exceed \
         100000000 bytes.",
        "(string/repeat s count)",
        "(string/repeat \"ab\" 3) => \"ababab\"",
    ),
    def(
        "string/pad-start",
        2,
        Some(3),
        b_pad_start,
        "s padded at the start to width characters by repeating fill (default \" \"; the last copy \
         is cut to fit); unchanged when already that long or fill is \"\". Error when the result \
         would exceed 100000000 bytes.",
        "(string/pad-start s width [fill])",
        "(string/pad-start \"5\" 3 \"0\") => \"005\"",
    ),
    def(
        "string/pad-end",
        2,
        Some(3),
        b_pad_end,
        "s padded at the end to width characters by repeating fill (default \" \"; the last copy is \
         cut to fit); unchanged when already that long or fill is \"\". Same limit as pad-start.",
        "(string/pad-end s width [fill])",
        "(string/pad-end \"ab\" 5 \"xy\") => \"abxyx\"",
    ),
    def(
        "string/format",
        1,
        None,
        b_format,
        "The format string with each {} replaced, in order, by the print form of the next argument; \
         {{ and }} stand for { and }. Error when the counts differ or a brace is unmatched.",
        "(string/format fmt arg...)",
        "(string/format \"{} + {} = {}\" 1 2 \"three\") => \"1 + 2 = three\"",
    ),
];

fn err(message: String) -> ErrorValue {
    ErrorValue::new("Error", message)
}

/// An optional integer argument (`None` when it was not passed).
fn opt_int(name: &str, args: &[Value], pos: usize) -> Result<Option<i64>, ErrorValue> {
    if args.len() >= pos {
        arg_int(name, args, pos).map(Some)
    } else {
        Ok(None)
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The byte offset of character index `i` (the byte length when `i` is past the end).
fn byte_at(s: &str, i: usize) -> usize {
    s.char_indices().nth(i).map_or(s.len(), |(b, _)| b)
}

/// The characters `start..end` of `s` (both already within `0..=length`, `start <= end`).
fn chars_between(s: &str, start: usize, end: usize) -> Value {
    let from = byte_at(s, start);
    let to = from + byte_at(&s[from..], end - start);
    Value::str(&s[from..to])
}

/// An index clamped to `0..=len`.
fn clamp(i: i64, len: usize) -> usize {
    if i <= 0 {
        0
    } else {
        (i as u64).min(len as u64) as usize
    }
}

fn b_substring(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/substring";
    let s = arg_str(NAME, a, 1)?;
    let start = arg_int(NAME, a, 2)?;
    let end = opt_int(NAME, a, 3)?;
    let len = char_len(s);
    let (mut start, mut end) = (clamp(start, len), end.map_or(len, |e| clamp(e, len)));
    if start > end {
        std::mem::swap(&mut start, &mut end);
    }
    Ok(chars_between(s, start, end))
}

fn b_slice(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/slice";
    let s = arg_str(NAME, a, 1)?;
    let start = arg_int(NAME, a, 2)?;
    let end = opt_int(NAME, a, 3)?;
    let len = char_len(s);
    // A negative index counts from the end (`len + i` cannot overflow: len >= 0 > i).
    let rel = |i: i64| if i < 0 { clamp(len as i64 + i, len) } else { clamp(i, len) };
    let (start, end) = (rel(start), end.map_or(len, rel));
    if start >= end {
        return Ok(Value::str(""));
    }
    Ok(chars_between(s, start, end))
}

/// The character index of byte offset `b` of `s`.
fn char_index(s: &str, b: usize) -> i64 {
    char_len(&s[..b]) as i64
}

fn b_index_of(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/index-of";
    let s = arg_str(NAME, a, 1)?;
    let sub = arg_str(NAME, a, 2)?;
    let from = opt_int(NAME, a, 3)?.unwrap_or(0);
    let from = byte_at(s, clamp(from, usize::MAX));
    Ok(Value::Int(match s[from..].find(sub) {
        Some(b) => char_index(s, from + b),
        None => -1,
    }))
}

fn b_last_index_of(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/last-index-of";
    let s = arg_str(NAME, a, 1)?;
    let sub = arg_str(NAME, a, 2)?;
    let from = opt_int(NAME, a, 3)?;
    let len = char_len(s);
    let from = from.map_or(len, |f| clamp(f, len));
    // An occurrence starting at or before `from` ends at or before `from + length of sub`.
    let limit = byte_at(s, from.saturating_add(char_len(sub)));
    Ok(Value::Int(match s[..limit].rfind(sub) {
        Some(b) => char_index(s, b),
        None => -1,
    }))
}

fn b_replace(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/replace";
    let s = arg_str(NAME, a, 1)?;
    let pattern = arg_str(NAME, a, 2)?;
    let replacement = arg_str(NAME, a, 3)?;
    Ok(Value::str(s.replacen(pattern, replacement, 1)))
}

fn b_replace_all(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/replace-all";
    let s = arg_str(NAME, a, 1)?;
    let pattern = arg_str(NAME, a, 2)?;
    let replacement = arg_str(NAME, a, 3)?;
    if replacement.len() > pattern.len() {
        let count = if pattern.is_empty() { char_len(s) + 1 } else { s.matches(pattern).count() };
        let grown = count.checked_mul(replacement.len() - pattern.len());
        check_string(h, NAME, grown.and_then(|g| g.checked_add(s.len())))?;
    }
    Ok(Value::str(s.replace(pattern, replacement)))
}

fn b_split(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/split";
    let s = arg_str(NAME, a, 1)?;
    let sep = arg_str(NAME, a, 2)?;
    let count = if sep.is_empty() { char_len(s) } else { s.matches(sep).count() + 1 };
    check_collection(h, NAME, Some(count))?;
    let pieces: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::str(c.to_string())).collect()
    } else {
        s.split(sep).map(Value::str).collect()
    };
    Ok(Value::list_from(pieces))
}

fn b_join(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/join";
    let list = expect_list(NAME, 1, &a[0])?;
    let sep = if a.len() > 1 { arg_str(NAME, a, 2)? } else { "," };
    // The strings' and separators' bytes first (other values are counted as they print).
    let mut len = Some(0usize);
    for (i, v) in list.list_iter().enumerate() {
        let sep_len = if i > 0 { sep.len() } else { 0 };
        len = len.and_then(|n| n.checked_add(sep_len + crate::ops::print_len(&v)));
    }
    check_string(h, NAME, len)?;
    let mut out = String::new();
    for (i, v) in list.list_iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        match &v {
            Value::Str(x) => out.push_str(x),
            other => out.push_str(&other.to_print_string()),
        }
        check_string(h, NAME, Some(out.len()))?;
    }
    Ok(Value::str(out))
}

/// JavaScript's whitespace for `trim`: Unicode White_Space except U+0085, plus U+FEFF.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{FEFF}'
}

fn b_trim(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::str(arg_str("string/trim", a, 1)?.trim_matches(is_js_space)))
}

fn b_trim_start(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::str(arg_str("string/trim-start", a, 1)?.trim_start_matches(is_js_space)))
}

fn b_trim_end(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::str(arg_str("string/trim-end", a, 1)?.trim_end_matches(is_js_space)))
}

fn b_upper(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::str(arg_str("string/upper", a, 1)?.to_uppercase()))
}

fn b_lower(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::str(arg_str("string/lower", a, 1)?.to_lowercase()))
}

fn b_starts_with(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/starts-with?";
    Ok(Value::Bool(arg_str(NAME, a, 1)?.starts_with(arg_str(NAME, a, 2)?)))
}

fn b_ends_with(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/ends-with?";
    Ok(Value::Bool(arg_str(NAME, a, 1)?.ends_with(arg_str(NAME, a, 2)?)))
}

fn b_includes(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/includes?";
    Ok(Value::Bool(arg_str(NAME, a, 1)?.contains(arg_str(NAME, a, 2)?)))
}

/// The character at `index`, or an out-of-range error naming `name`.
fn char_at(name: &str, s: &str, index: i64) -> Result<char, ErrorValue> {
    let found = usize::try_from(index).ok().and_then(|i| s.chars().nth(i));
    found.ok_or_else(|| {
        let len = char_len(s);
        let unit = if len == 1 { "character" } else { "characters" };
        err(format!("{name}: index {index} out of range for a string of {len} {unit}"))
    })
}

fn b_char_at(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/char-at";
    let s = arg_str(NAME, a, 1)?;
    let index = arg_int(NAME, a, 2)?;
    Ok(Value::str(char_at(NAME, s, index)?.to_string()))
}

fn b_char_code(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/char-code";
    let s = arg_str(NAME, a, 1)?;
    let index = opt_int(NAME, a, 2)?.unwrap_or(0);
    Ok(Value::Int(char_at(NAME, s, index)? as i64))
}

fn b_from_char_code(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/from-char-code";
    let mut out = String::with_capacity(a.len());
    for pos in 1..=a.len() {
        let code = arg_int(NAME, a, pos)?;
        match u32::try_from(code).ok().and_then(char::from_u32) {
            Some(c) => out.push(c),
            None => return Err(err(format!("{NAME}: {code} (argument {pos}) is not a valid code point"))),
        }
    }
    Ok(Value::str(out))
}

fn b_repeat(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/repeat";
    let s = arg_str(NAME, a, 1)?;
    let count = arg_int(NAME, a, 2)?;
    if count < 0 {
        return Err(err(format!("{NAME}: count must not be negative, got {count}")));
    }
    if s.is_empty() {
        return Ok(Value::str(""));
    }
    let n = usize::try_from(count).ok();
    check_string(h, NAME, n.and_then(|n| n.checked_mul(s.len())))?;
    Ok(Value::str(s.repeat(n.unwrap_or(0))))
}

/// The padding that brings `s` to `width` characters with copies of `fill`, the last one cut.
fn padding(h: &dyn Host, name: &str, a: &[Value]) -> Result<(String, String), ErrorValue> {
    let s = arg_str(name, a, 1)?;
    let width = arg_int(name, a, 2)?;
    let fill = if a.len() > 2 { arg_str(name, a, 3)? } else { " " };
    let len = char_len(s);
    let width = usize::try_from(width).unwrap_or(0);
    if width <= len || fill.is_empty() {
        return Ok((s.to_string(), String::new()));
    }
    let needed = width - len;
    let fill_chars = char_len(fill);
    let (copies, rest) = (needed / fill_chars, needed % fill_chars);
    let tail = &fill[..byte_at(fill, rest)];
    let bytes = copies.checked_mul(fill.len()).and_then(|b| b.checked_add(tail.len() + s.len()));
    check_string(h, name, bytes)?;
    let mut pad = fill.repeat(copies);
    pad.push_str(tail);
    Ok((s.to_string(), pad))
}

fn b_pad_start(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let (s, pad) = padding(h, "string/pad-start", a)?;
    Ok(Value::str(pad + &s))
}

fn b_pad_end(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let (s, pad) = padding(h, "string/pad-end", a)?;
    Ok(Value::str(s + &pad))
}

fn b_format(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    const NAME: &str = "string/format";
    let fmt = arg_str(NAME, a, 1)?;
    let args = &a[1..];
    let mut out = String::with_capacity(fmt.len());
    let mut used = 0;
    let mut chars = fmt.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.next_if(|&(_, d)| d == '{').is_some() => out.push('{'),
            '}' if chars.next_if(|&(_, d)| d == '}').is_some() => out.push('}'),
            '{' if chars.next_if(|&(_, d)| d == '}').is_some() => {
                if let Some(v) = args.get(used) {
                    match v {
                        Value::Str(x) => out.push_str(x),
                        other => out.push_str(&other.to_print_string()),
                    }
                    check_string(h, NAME, Some(out.len()))?;
                }
                used += 1;
            }
            '{' => {
                return Err(err(format!("{NAME}: unmatched '{{' at character {i} (write {{{{ for a literal brace)")))
            }
            '}' => {
                return Err(err(format!("{NAME}: unmatched '}}' at character {i} (write }}}} for a literal brace)")))
            }
            c => out.push(c),
        }
    }
    if used != args.len() {
        let holders = if used == 1 { "placeholder" } else { "placeholders" };
        let given = if args.len() == 1 { "argument was" } else { "arguments were" };
        return Err(err(format!("{NAME}: the format has {used} {holders} but {} {given} given", args.len())));
    }
    Ok(Value::str(out))
}
