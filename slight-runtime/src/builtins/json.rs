//! `json/` builtins: parse (objects become maps) and stringify, on top of serde_json (with
//! `preserve_order`, so object keys keep their order both ways).
//!
//! Numbers: a JSON number written without a fraction or exponent that fits in i64 parses as an
//! integer, every other number as a float (the nearest one); `json/stringify` writes a float
//! that is integral with `.0` (`5.0`), so integers and floats survive a round trip exactly.
//! `-0` parses as the float `-0.0`. Nesting is limited to 127 arrays/objects in both directions
//! (serde_json's parse limit), so whatever `json/stringify` writes `json/parse` reads back, and
//! a map that contains itself is an error rather than a crash.
//!
//! Stringify decisions: keywords and symbols (as values or map keys) are written as strings
//! without the colon; number, boolean and nil map keys use their print form; two map keys that
//! give the same JSON key (`:a` and `"a"`) are an error, since the object would silently lose
//! one; list, map, function, pid and error keys, and function, pid and error values, are
//! `TypeError`s; NaN and ±inf are errors (JSON cannot represent them).

use super::{arg_str, def, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::Value;
use serde_json::{Map, Number, Value as Json};

pub const TABLE: &[BuiltinDef] = &[
    def(
        "json/parse",
        1,
        Some(1),
        b_parse,
        "Parses JSON text: objects become maps with string keys (in order), arrays lists, null nil, integers that fit i64 integers, other numbers floats. Malformed text, or more than 127 nested arrays/objects, is an error `json/parse: MESSAGE at line L column C` (column in characters).",
        "(json/parse string)",
        "(json/parse \"{\\\"a\\\": [1, 2.5, null]}\") => {\"a\" (1 2.5 nil)}",
    ),
    def(
        "json/stringify",
        1,
        Some(2),
        b_stringify,
        "JSON text for a value, compact, or indented by 2 spaces when pretty is true (not false or nil): maps become objects (string keys as they are, keyword and symbol keys without the colon, number, boolean and nil keys in print form), lists arrays, nil null, keywords and symbols strings, integral floats with .0. Errors: functions, pids, errors, NaN, ±inf, other kinds of keys, two keys giving the same text, more than 127 nested lists/maps.",
        "(json/stringify value [pretty])",
        "(json/stringify (list 1 2.0 nil \"é\" :b)) => \"[1,2.0,null,\\\"é\\\",\\\"b\\\"]\"",
    ),
];

/// Deepest nesting of lists and maps written: serde_json's parser reads at most 127 nested
/// arrays/objects.
const MAX_DEPTH: usize = 127;

fn b_parse(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let text = arg_str("json/parse", a, 1)?;
    match serde_json::from_str::<Json>(text) {
        Ok(j) => Ok(from_json(j)),
        Err(e) => Err(ErrorValue::user(format!("json/parse: {}", parse_message(text, &e)))),
    }
}

/// serde_json's message with the column counted in characters instead of bytes.
fn parse_message(text: &str, e: &serde_json::Error) -> String {
    let full = e.to_string();
    let (line, byte_col) = (e.line(), e.column());
    let suffix = format!(" at line {line} column {byte_col}");
    let Some(bare) = full.strip_suffix(&suffix) else {
        return full;
    };
    let line_text = text.split('\n').nth(line.saturating_sub(1)).unwrap_or("");
    // serde_json's column is the number of bytes of the line read so far: count the
    // characters that start within them.
    let col = line_text.char_indices().take_while(|(i, _)| *i < byte_col).count();
    format!("{bare} at line {line} column {col}")
}

fn from_json(j: Json) -> Value {
    match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::str(s),
        Json::Array(items) => Value::list_from(items.into_iter().map(from_json).collect::<Vec<_>>()),
        Json::Object(m) => Value::map_from(m.into_iter().map(|(k, v)| (Value::str(k), from_json(v)))),
    }
}

fn b_stringify(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let json = to_json(&a[0], 0, &mut MAX_JSON_NODES.clone())?;
    let pretty = a.get(1).is_some_and(Value::is_truthy);
    let text = if pretty { serde_json::to_string_pretty(&json) } else { serde_json::to_string(&json) };
    let text = text.map_err(|e| ErrorValue::user(format!("json/stringify: {e}")))?;
    super::check_string(h, "json/stringify", Some(text.len()))?;
    Ok(Value::str(text))
}

fn unsupported(what: &str) -> ErrorValue {
    ErrorValue::type_error(format!("json/stringify: cannot represent {what} in JSON"))
}

/// Most JSON values `json/stringify` builds: data that shares parts (the same list held twice
/// at each of 40 levels) would otherwise unfold into gigabytes.
const MAX_JSON_NODES: usize = 10_000_000;

fn to_json(v: &Value, depth: usize, budget: &mut usize) -> Result<Json, ErrorValue> {
    if *budget == 0 {
        return Err(ErrorValue::user(format!("json/stringify: more than {MAX_JSON_NODES} values")));
    }
    *budget -= 1;
    Ok(match v {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(f) => match Number::from_f64(*f) {
            Some(n) => Json::Number(n),
            None => return Err(unsupported(&v.to_print_string())),
        },
        Value::Str(s) => Json::String(s.to_string()),
        Value::Sym(s) | Value::Keyword(s) => Json::String(s.to_string()),
        Value::List(_) => {
            check_depth(depth)?;
            Json::Array(v.list_iter().map(|x| to_json(&x, depth + 1, budget)).collect::<Result<_, _>>()?)
        }
        Value::Map(m) => {
            check_depth(depth)?;
            let m = m.borrow();
            let mut out = Map::with_capacity(m.len());
            for (k, x) in m.iter() {
                let key = json_key(&k.0)?;
                if out.contains_key(&key) {
                    return Err(ErrorValue::user(format!(
                        "json/stringify: two map keys give the same JSON key {}",
                        Value::str(key).repr()
                    )));
                }
                out.insert(key, to_json(x, depth + 1, budget)?);
            }
            Json::Object(out)
        }
        Value::Cell(c) => to_json(&c.borrow(), depth, budget)?,
        Value::Func(_) | Value::Builtin(_) | Value::Native(_) | Value::Compiled(_) => {
            return Err(unsupported("a function"))
        }
        Value::Pid(_) => return Err(unsupported("a pid")),
        Value::Error(_) => return Err(unsupported("an error")),
        Value::Class(_) | Value::Object(_) => return Err(unsupported("an object")),
        Value::Gpu(_) => return Err(unsupported("a GPU object")),
    })
}

fn check_depth(depth: usize) -> Result<(), ErrorValue> {
    if depth >= MAX_DEPTH {
        return Err(ErrorValue::user(format!("json/stringify: more than {MAX_DEPTH} nested lists and maps")));
    }
    Ok(())
}

/// The JSON object key for a map key.
fn json_key(k: &Value) -> Result<String, ErrorValue> {
    match k {
        Value::Str(s) | Value::Sym(s) | Value::Keyword(s) => Ok(s.to_string()),
        Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_) => Ok(k.to_print_string()),
        Value::Cell(c) => json_key(&c.borrow()),
        Value::List(_) => Err(bad_key("a LIST")),
        Value::Map(_) => Err(bad_key("a MAP")),
        Value::Func(_) | Value::Builtin(_) | Value::Native(_) | Value::Compiled(_) => Err(bad_key("a FUNCTION")),
        Value::Pid(_) => Err(bad_key("a PID")),
        Value::Error(_) => Err(bad_key("an ERROR")),
        Value::Class(_) | Value::Object(_) => Err(bad_key("an OBJECT")),
        Value::Gpu(_) => Err(bad_key("a GPU object")),
    }
}

fn bad_key(what: &str) -> ErrorValue {
    ErrorValue::type_error(format!("json/stringify: cannot use {what} as a JSON object key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stringify(v: &Value) -> Result<String, String> {
        to_json(v, 0, &mut MAX_JSON_NODES.clone()).map(|j| j.to_string()).map_err(|e| e.message.clone())
    }

    #[test]
    fn map_keys_of_every_accepted_kind() {
        let m = Value::map_from(vec![
            (Value::keyword("kw"), Value::Int(1)),
            (Value::sym("sym"), Value::keyword("v")),
            (Value::str("s"), Value::sym("x")),
            (Value::Int(7), Value::Float(7.0)),
            (Value::Float(1.5), Value::Bool(true)),
            (Value::Bool(false), Value::Nil),
            (Value::Nil, Value::EMPTY),
        ]);
        assert_eq!(stringify(&m).unwrap(), r#"{"kw":1,"sym":"v","s":"x","7":7.0,"1.5":true,"false":null,"nil":[]}"#);
    }

    #[test]
    fn colliding_and_unsupported_keys_are_errors() {
        let m = Value::map_from(vec![(Value::keyword("a"), Value::Int(1)), (Value::str("a"), Value::Int(2))]);
        assert_eq!(stringify(&m).unwrap_err(), r#"json/stringify: two map keys give the same JSON key "a""#);
        let m = Value::map_from(vec![(Value::list_from(vec![Value::Int(1)]), Value::Int(1))]);
        assert_eq!(stringify(&m).unwrap_err(), "json/stringify: cannot use a LIST as a JSON object key");
        let m = Value::map_from(vec![(Value::Builtin(0), Value::Int(1))]);
        assert_eq!(stringify(&m).unwrap_err(), "json/stringify: cannot use a FUNCTION as a JSON object key");
        let v = Value::list_from(vec![Value::Pid(3)]);
        assert_eq!(stringify(&v).unwrap_err(), "json/stringify: cannot represent a pid in JSON");
        assert_eq!(
            stringify(&Value::Float(f64::NEG_INFINITY)).unwrap_err(),
            "json/stringify: cannot represent -inf in JSON"
        );
    }

    #[test]
    fn a_map_containing_itself_is_an_error() {
        let m = Value::map_from(vec![]);
        if let Value::Map(inner) = &m {
            inner.borrow_mut().insert(crate::value::Key(Value::keyword("me")), m.clone());
        }
        assert_eq!(stringify(&m).unwrap_err(), "json/stringify: more than 127 nested lists and maps");
        // Break the cycle so the test does not leak.
        if let Value::Map(inner) = &m {
            inner.borrow_mut().clear();
        }
    }

    #[test]
    fn parse_errors_count_columns_in_characters() {
        let text = "{\"é\": 1,\n \"ü\": ,}";
        let e = serde_json::from_str::<Json>(text).unwrap_err();
        assert_eq!(parse_message(text, &e), "expected value at line 2 column 7");
    }
}
