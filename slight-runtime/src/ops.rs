//! Arithmetic and comparison on values, shared by the VM's instructions and the builtin table
//! (and later by compiled code), so every path computes the same result and the same error.

use crate::error::ErrorValue;
use crate::value::Value;
use std::cmp::Ordering;

fn not_number(op: &str, v: &Value) -> ErrorValue {
    ErrorValue::type_error(format!("Type error: {op} expects numbers, got {}", v.type_name()))
}

fn bad_pair(op: &str, a: &Value, b: &Value) -> ErrorValue {
    let culprit = if matches!(a, Value::Int(_) | Value::Float(_)) { b } else { a };
    not_number(op, culprit)
}

/// The `ArithmeticError` for an integer result outside the `i64` range.
pub fn overflow() -> ErrorValue {
    ErrorValue::arithmetic("integer overflow")
}

/// The `ArithmeticError` for an integer division by zero.
pub fn division_by_zero() -> ErrorValue {
    ErrorValue::arithmetic("division by zero")
}

macro_rules! arith {
    ($name:ident, $op:literal, $checked:ident, $fop:tt) => {
        /// Arithmetic on numbers: checked `i64` for two integers (overflow is an error), `f64` when
        /// either is a float.
        #[inline]
        pub fn $name(a: &Value, b: &Value) -> Result<Value, ErrorValue> {
            match (a, b) {
                (Value::Int(x), Value::Int(y)) => x.$checked(*y).map(Value::Int).ok_or_else(overflow),
                (Value::Float(x), Value::Float(y)) => Ok(Value::Float(x $fop y)),
                (Value::Int(x), Value::Float(y)) => Ok(Value::Float(*x as f64 $fop y)),
                (Value::Float(x), Value::Int(y)) => Ok(Value::Float(x $fop *y as f64)),
                _ => Err(bad_pair($op, a, b)),
            }
        }
    };
}

arith!(add, "+", checked_add, +);
arith!(sub, "-", checked_sub, -);
arith!(mul, "*", checked_mul, *);

/// `/` always gives a float; an integer zero divisor is an error, float division follows IEEE.
pub fn div(a: &Value, b: &Value) -> Result<Value, ErrorValue> {
    let x = as_f64("/", a, b)?;
    match b {
        Value::Int(0) => Err(division_by_zero()),
        Value::Int(y) => Ok(Value::Float(x / *y as f64)),
        Value::Float(y) => Ok(Value::Float(x / y)),
        _ => Err(not_number("/", b)),
    }
}

fn as_f64(op: &str, a: &Value, b: &Value) -> Result<f64, ErrorValue> {
    match a {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        _ => Err(bad_pair(op, a, b)),
    }
}

/// Unary minus; negating `i64::MIN` is an `integer overflow` error.
pub fn neg(a: &Value) -> Result<Value, ErrorValue> {
    match a {
        Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(overflow),
        Value::Float(f) => Ok(Value::Float(-f)),
        _ => Err(not_number("-", a)),
    }
}

/// Integer floor division (`math/div`).
pub fn floor_div(a: &Value, b: &Value) -> Result<Value, ErrorValue> {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => Err(division_by_zero()),
        (Value::Int(x), Value::Int(y)) => x.checked_div_euclid(*y).ok_or_else(overflow).map(|q| {
            // floor semantics for negative divisors
            let r = x - q * y;
            Value::Int(if r != 0 && (r < 0) != (*y < 0) { q - 1 } else { q })
        }),
        _ => {
            let x = as_f64("math/div", a, b)?;
            let y = as_f64("math/div", b, a)?;
            Ok(Value::Float((x / y).floor()))
        }
    }
}

/// Floor modulo (`math/mod`): the result has the sign of the divisor.
pub fn floor_mod(a: &Value, b: &Value) -> Result<Value, ErrorValue> {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => Err(division_by_zero()),
        (Value::Int(x), Value::Int(y)) => {
            let r = x.checked_rem(*y).ok_or_else(overflow)?;
            Ok(Value::Int(if r != 0 && (r < 0) != (*y < 0) { r + y } else { r }))
        }
        _ => {
            let x = as_f64("math/mod", a, b)?;
            let y = as_f64("math/mod", b, a)?;
            Ok(Value::Float(x - y * (x / y).floor()))
        }
    }
}

/// Numeric ordering for `< > <= >=`; `None` when a NaN is involved.
#[inline]
pub fn compare(op: &str, a: &Value, b: &Value) -> Result<Option<Ordering>, ErrorValue> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(Some(x.cmp(y))),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y)),
        (Value::Int(x), Value::Float(y)) => Ok(cmp_int_float(*x, *y)),
        (Value::Float(x), Value::Int(y)) => Ok(cmp_int_float(*y, *x).map(Ordering::reverse)),
        _ => Err(bad_pair(op, a, b)),
    }
}

/// Exact ordering of an integer and a float (converting the integer to a float would round
/// large integers: 2^53 + 1 is not equal to, nor less than, 2^53 as a float).
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    let two_63 = (1u64 << 63) as f64;
    if f >= two_63 {
        return Some(Ordering::Less);
    }
    if f < -two_63 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    match (i as i128).cmp(&(whole as i128)) {
        Ordering::Equal => 0.0f64.partial_cmp(&(f - whole)),
        other => Some(other),
    }
}

/// `<` on numbers; false when a NaN is involved, a type error for anything but numbers.
pub fn lt(a: &Value, b: &Value) -> Result<bool, ErrorValue> {
    Ok(compare("<", a, b)? == Some(Ordering::Less))
}
/// `<=` on numbers; false when a NaN is involved, a type error for anything but numbers.
pub fn le(a: &Value, b: &Value) -> Result<bool, ErrorValue> {
    Ok(matches!(compare("<=", a, b)?, Some(Ordering::Less | Ordering::Equal)))
}
/// `>` on numbers; false when a NaN is involved, a type error for anything but numbers.
pub fn gt(a: &Value, b: &Value) -> Result<bool, ErrorValue> {
    Ok(compare(">", a, b)? == Some(Ordering::Greater))
}
/// `>=` on numbers; false when a NaN is involved, a type error for anything but numbers.
pub fn ge(a: &Value, b: &Value) -> Result<bool, ErrorValue> {
    Ok(matches!(compare(">=", a, b)?, Some(Ordering::Greater | Ordering::Equal)))
}

/// `head`: the first element of a list, nil for an empty list or nil; a type error otherwise.
#[inline]
pub fn head(v: &Value) -> Result<Value, ErrorValue> {
    match v {
        Value::List(Some(c)) => Ok(c.head.clone()),
        Value::List(None) | Value::Nil => Ok(Value::Nil),
        _ => {
            Err(ErrorValue::type_error(format!("Type error: head expects a list as argument 1, got {}", v.type_name())))
        }
    }
}

/// `tail`: a list without its first element, `()` for an empty list or nil; a type error otherwise.
#[inline]
pub fn tail(v: &Value) -> Result<Value, ErrorValue> {
    match v {
        Value::List(Some(c)) => Ok(Value::List(c.tail.clone())),
        Value::List(None) | Value::Nil => Ok(Value::EMPTY),
        _ => {
            Err(ErrorValue::type_error(format!("Type error: tail expects a list as argument 1, got {}", v.type_name())))
        }
    }
}

/// `cons`: `h` in front of the list `t` (or nil); a type error for any other `t`.
#[inline]
pub fn cons(h: &Value, t: &Value) -> Result<Value, ErrorValue> {
    match t {
        Value::List(l) => Ok(Value::cons(h.clone(), l.clone())),
        Value::Nil => Ok(Value::cons(h.clone(), None)),
        _ => Err(ErrorValue::type_error(format!(
            "Type error: cons expects a list as its second argument, got {}",
            t.type_name()
        ))),
    }
}

/// `empty?`: true for an empty list, nil, an empty string or an empty map; a type error for
/// anything else.
#[inline]
pub fn is_empty(v: &Value) -> Result<bool, ErrorValue> {
    match v {
        Value::List(l) => Ok(l.is_none()),
        Value::Nil => Ok(true),
        Value::Str(s) => Ok(s.is_empty()),
        Value::Map(m) => Ok(m.borrow().is_empty()),
        _ => Err(ErrorValue::type_error(format!(
            "Type error: empty? expects a list as argument 1, got {}",
            v.type_name()
        ))),
    }
}

/// Concatenates lists (`list/append`, quasiquote splicing).
pub fn append(parts: &[Value]) -> Result<Value, ErrorValue> {
    let mut items = Vec::new();
    for p in parts {
        match p {
            Value::List(_) => items.extend(p.list_iter()),
            Value::Nil => {}
            other => {
                return Err(ErrorValue::type_error(format!(
                    "Type error: list/append expects lists, got {}",
                    other.type_name()
                )))
            }
        }
    }
    Ok(Value::list_from(items))
}

/// Quasiquote's append: like [`append`], but a last part that is not a list is a dotted tail,
/// kept after a `.` marker — `` `(x . ,p) `` with `p` = `rest` gives `(x . rest)`.
pub fn append_quasi(parts: &[Value]) -> Result<Value, ErrorValue> {
    match parts.split_last() {
        Some((last, init)) if !matches!(last, Value::List(_) | Value::Nil) => {
            let mut items = append(init)?.list_iter().collect::<Vec<_>>();
            items.push(Value::sym("."));
            items.push(last.clone());
            Ok(Value::list_from(items))
        }
        _ => append(parts),
    }
}

/// `e.message` / `e.type` on errors (compat field access), and map lookup by keyword or string.
pub fn field(obj: &Value, name: &Value) -> Result<Value, ErrorValue> {
    let Value::Str(n) = name else {
        return Err(ErrorValue::type_error("field name must be a string"));
    };
    match obj {
        Value::Error(e) => match n.as_str() {
            "message" => Ok(Value::str(e.message.clone())),
            "type" => Ok(Value::str(e.etype.clone())),
            "payload" | "value" => Ok(e.payload.clone()),
            _ => Err(ErrorValue::new("NameError", format!("Error has no field {n}"))),
        },
        Value::Map(m) => {
            let m = m.borrow();
            Ok(m.get(&crate::value::Key(Value::keyword(n.to_string())))
                .or_else(|| m.get(&crate::value::Key(Value::str(n.to_string()))))
                .cloned()
                .unwrap_or(Value::Nil))
        }
        Value::Object(_) => crate::builtins::object::get_slot("field", obj, name),
        other => Err(ErrorValue::type_error(format!("Type error: cannot read field {n} of {}", other.type_name()))),
    }
}

/// Appends `parts` to `out` as `string/concat` joins them: strings as they are, anything else
/// in print form. The room the strings and integers need is reserved first, and integers are
/// written straight into `out` (no `String` per number).
pub fn concat_into(out: &mut String, parts: &[Value]) {
    out.reserve(concat_len(parts));
    for v in parts {
        push_print(out, v);
    }
}

/// The bytes the strings and integers of `parts` take in print form.
fn concat_len(parts: &[Value]) -> usize {
    parts.iter().map(print_len).sum()
}

/// The bytes `v` takes in print form if it is a string or an integer; 0 for other values
/// (they are rare in concatenations, and their length is not known without printing them).
#[inline]
pub(crate) fn print_len(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len(),
        Value::Int(i) => int_len(*i),
        _ => 0,
    }
}

/// Digits of `i` in decimal, and its sign.
#[inline]
fn int_len(i: i64) -> usize {
    i.unsigned_abs().checked_ilog10().map_or(1, |d| d as usize + 1) + usize::from(i < 0)
}

/// Appends `v` to `out` as `string/concat` does: a string as it is, anything else in print
/// form (the same text as [`Value::to_print_string`]).
#[inline]
pub(crate) fn push_print(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => out.push_str(s),
        Value::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        other => other.write_print(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_writes_the_print_form_of_every_value() {
        let parts = vec![
            Value::str("s"),
            Value::Int(0),
            Value::Int(7),
            Value::Int(-10),
            Value::Int(999_999),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(1.0),
            Value::Float(-0.25),
            Value::Float(1e21),
            Value::Nil,
            Value::Bool(true),
            Value::keyword("k"),
            Value::list_from(vec![Value::Int(1), Value::str("a b")]),
        ];
        let mut out = String::from("<");
        concat_into(&mut out, &parts);
        let expected: String =
            std::iter::once("<".to_string()).chain(parts.iter().map(|v| v.to_print_string())).collect();
        assert_eq!(out, expected);
        for v in &parts[..7] {
            assert_eq!(print_len(v), v.to_print_string().len(), "{v:?}");
        }
    }
}
