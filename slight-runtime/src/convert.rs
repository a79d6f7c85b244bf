//! Conversions between read data ([`Sexp`]) and run-time [`Value`]s (quoted constants, macro
//! arguments and expansions), and between Rust types and `Value` for the embedding API.

use crate::error::ErrorValue;
use crate::value::Value;
use slight_core::{Sexp, SexpKind, Span};
use std::collections::HashMap;
use std::hash::Hash;

/// A quoted datum as a value. `(a . b)` becomes the list `(a . b)` with the symbol `.` in it,
/// so macros can build dotted parameter lists.
pub fn sexp_to_value(s: &Sexp) -> Value {
    match &s.kind {
        SexpKind::Nil => Value::Nil,
        SexpKind::Bool(b) => Value::Bool(*b),
        SexpKind::Int(i) => Value::Int(*i),
        SexpKind::Float(f) => Value::Float(*f),
        SexpKind::Str(t) => Value::str(t.clone()),
        SexpKind::Sym(t) => Value::sym(t.clone()),
        SexpKind::Keyword(k) => Value::keyword(k.clone()),
        SexpKind::List(items) => Value::list_from(items.iter().map(sexp_to_value).collect::<Vec<_>>()),
        SexpKind::Dotted(items, rest) => {
            let mut v: Vec<Value> = items.iter().map(sexp_to_value).collect();
            v.push(Value::sym("."));
            v.push(sexp_to_value(rest));
            Value::list_from(v)
        }
    }
}

/// A value as code (a macro's expansion). Every node gets `span`, the macro call's position.
/// Data nested deeper than the reader allows is an error (the expander would refuse it too).
pub fn value_to_sexp(v: &Value, span: Span) -> Result<Sexp, String> {
    to_sexp(v, span, 0, &mut MAX_CODE_NODES.clone())
}

/// Most nodes a value converted to code may have: data that shares parts (a macro that doubles
/// its argument 24 times) would otherwise unfold into gigabytes of code.
pub const MAX_CODE_NODES: usize = 1_000_000;

fn to_sexp(v: &Value, span: Span, depth: usize, budget: &mut usize) -> Result<Sexp, String> {
    if depth > slight_core::reader::MAX_NESTING {
        return Err(format!("code nested too deeply (limit {} levels)", slight_core::reader::MAX_NESTING));
    }
    if *budget == 0 {
        return Err(format!("code too large (limit {MAX_CODE_NODES} nodes)"));
    }
    *budget -= 1;
    let kind = match v {
        Value::Nil => SexpKind::Nil,
        Value::Bool(b) => SexpKind::Bool(*b),
        Value::Int(i) => SexpKind::Int(*i),
        Value::Float(f) => SexpKind::Float(*f),
        Value::Str(s) => SexpKind::Str(s.to_string()),
        Value::Sym(s) => SexpKind::Sym(s.to_string()),
        Value::Keyword(k) => SexpKind::Keyword(k.to_string()),
        Value::List(_) => {
            let mut items =
                v.list_iter().map(|x| to_sexp(&x, span, depth + 1, budget)).collect::<Result<Vec<_>, _>>()?;
            let n = items.len();
            if n >= 2 && items[n - 2].is_sym(".") {
                let rest = items.pop().expect("tail");
                items.pop();
                SexpKind::Dotted(items, Box::new(rest))
            } else {
                SexpKind::List(items)
            }
        }
        Value::Cell(c) => return to_sexp(&c.borrow(), span, depth + 1, budget),
        other => return Err(format!("a macro expansion cannot contain {}", other.repr())),
    };
    Ok(Sexp::new(kind, span))
}

/// Rust types that can be built from a Slight value (arguments of registered functions,
/// `vm.get::<T>()`).
pub trait FromValue: Sized {
    /// Converts `v`, or returns a type error naming the expected type.
    fn from_value(v: &Value) -> Result<Self, ErrorValue>;
}

/// Rust types that become Slight values (results of registered functions, `vm.set`).
pub trait IntoValue {
    /// Converts `self` into a Slight value.
    fn into_value(self) -> Value;
}

fn expected<T>(what: &str, v: &Value) -> Result<T, ErrorValue> {
    Err(ErrorValue::type_error(format!("Type error: expected {what}, got {}", v.type_name())))
}

impl FromValue for Value {
    fn from_value(v: &Value) -> Result<Self, ErrorValue> {
        Ok(v.clone())
    }
}
impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
    }
}

macro_rules! int_conversions {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> Result<Self, ErrorValue> {
                match v {
                    Value::Int(i) => <$t>::try_from(*i).map_err(|_| ErrorValue::type_error(format!("Type error: {i} does not fit in {}", stringify!($t)))),
                    _ => expected("i64", v),
                }
            }
        }
        impl IntoValue for $t {
            fn into_value(self) -> Value {
                Value::Int(self as i64)
            }
        }
    )*};
}
int_conversions!(i64, i32, i16, i8, u32, u16, u8, usize, u64);

impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self, ErrorValue> {
        match v {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            _ => expected("f64", v),
        }
    }
}
impl IntoValue for f64 {
    fn into_value(self) -> Value {
        Value::Float(self)
    }
}
impl FromValue for f32 {
    fn from_value(v: &Value) -> Result<Self, ErrorValue> {
        f64::from_value(v).map(|f| f as f32)
    }
}
impl IntoValue for f32 {
    fn into_value(self) -> Value {
        Value::Float(self as f64)
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, ErrorValue> {
        match v {
            Value::Bool(b) => Ok(*b),
            _ => expected("bool", v),
        }
    }
}
impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, ErrorValue> {
        match v {
            Value::Str(s) => Ok(s.to_string()),
            _ => expected("str", v),
        }
    }
}
impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::str(self)
    }
}
impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::str(self)
    }
}
impl IntoValue for () {
    fn into_value(self) -> Value {
        Value::Nil
    }
}
impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: &Value) -> Result<Self, ErrorValue> {
        match v {
            Value::List(_) => v.list_iter().map(|x| T::from_value(&x)).collect(),
            _ => expected("list", v),
        }
    }
}
impl<T: IntoValue> IntoValue for Vec<T> {
    fn into_value(self) -> Value {
        Value::list_from(self.into_iter().map(IntoValue::into_value).collect::<Vec<_>>())
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self, ErrorValue> {
        match v {
            Value::Nil => Ok(None),
            _ => T::from_value(v).map(Some),
        }
    }
}
impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Value {
        self.map_or(Value::Nil, IntoValue::into_value)
    }
}
impl<K: FromValue + Eq + Hash, V: FromValue> FromValue for HashMap<K, V> {
    fn from_value(v: &Value) -> Result<Self, ErrorValue> {
        match v {
            Value::Map(m) => m.borrow().iter().map(|(k, x)| Ok((K::from_value(&k.0)?, V::from_value(x)?))).collect(),
            _ => expected("map", v),
        }
    }
}
impl<K: IntoValue + Ord, V: IntoValue> IntoValue for HashMap<K, V> {
    /// Keys are sorted so the resulting (insertion-ordered) map is deterministic.
    fn into_value(self) -> Value {
        let mut entries: Vec<(K, V)> = self.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Value::map_from(entries.into_iter().map(|(k, v)| (k.into_value(), v.into_value())))
    }
}
