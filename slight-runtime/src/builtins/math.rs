//! `math/` builtins (`math/mod` and `math/div` live with the core operators).
//!
//! Integer rules (docs/LANGUAGE.md §2): `abs`, `sign`, `min`, `max` keep integers integer; `floor`,
//! `ceil`, `round`, `trunc` turn a float into an integer (an error when it has no i64 value:
//! NaN, ±inf, or outside the i64 range) and return integers unchanged; `pow` stays integer for
//! an integer base and a non-negative integer exponent, with overflow checking. Every other
//! function computes on floats and follows IEEE 754: `(math/sqrt -1)` and `(math/log -1)` are
//! NaN, `(math/log 0)` is `-inf`.

use super::{arg_int, arg_num, def, wrong_type, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::ops::overflow;
use crate::value::Value;
use std::cmp::Ordering;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "math/abs",
        1,
        Some(1),
        b_abs,
        "Absolute value; an integer stays an integer ((math/abs -9223372036854775808) is an `integer overflow` error).",
        "(math/abs x)",
        "(math/abs -7) => 7",
    ),
    def(
        "math/sign",
        1,
        Some(1),
        b_sign,
        "-1, 0 or 1 for an integer; -1.0, 1.0 or the zero itself (0.0 or -0.0) for a float; NaN for NaN.",
        "(math/sign x)",
        "(math/sign -2.5) => -1.0",
    ),
    def(
        "math/min",
        1,
        None,
        b_min,
        "The smallest argument, returned as it is (integers stay integers, the first wins a tie such as 1 and 1.0); NaN if any argument is NaN.",
        "(math/min x y...)",
        "(math/min 3 1.5 2) => 1.5",
    ),
    def(
        "math/max",
        1,
        None,
        b_max,
        "The largest argument, returned as it is (integers stay integers, the first wins a tie such as 1 and 1.0); NaN if any argument is NaN.",
        "(math/max x y...)",
        "(math/max 3 1.5 7) => 7",
    ),
    def(
        "math/floor",
        1,
        Some(1),
        b_floor,
        "The largest integer <= x, as an integer (integers unchanged); an ArithmeticError for NaN, ±inf or a result outside the i64 range.",
        "(math/floor x)",
        "(math/floor -2.5) => -3",
    ),
    def(
        "math/ceil",
        1,
        Some(1),
        b_ceil,
        "The smallest integer >= x, as an integer (integers unchanged); an ArithmeticError for NaN, ±inf or a result outside the i64 range.",
        "(math/ceil x)",
        "(math/ceil 2.1) => 3",
    ),
    def(
        "math/round",
        1,
        Some(1),
        b_round,
        "The nearest integer, halves away from zero, as an integer (integers unchanged); an ArithmeticError for NaN, ±inf or a result outside the i64 range.",
        "(math/round x)",
        "(math/round -2.5) => -3",
    ),
    def(
        "math/trunc",
        1,
        Some(1),
        b_trunc,
        "x without its fractional part (towards zero), as an integer (integers unchanged); an ArithmeticError for NaN, ±inf or a result outside the i64 range.",
        "(math/trunc x)",
        "(math/trunc -2.7) => -2",
    ),
    def(
        "math/pow",
        2,
        Some(2),
        b_pow,
        "base to the power exp: an integer for an integer base and a non-negative integer exponent (`integer overflow` if it does not fit), otherwise an IEEE float ((math/pow -8 0.5) is NaN).",
        "(math/pow base exp)",
        "(math/pow 2 10) => 1024",
    ),
    def(
        "math/sqrt",
        1,
        Some(1),
        b_sqrt,
        "Square root, always a float; NaN for a negative number (IEEE).",
        "(math/sqrt x)",
        "(math/sqrt 16) => 4.0",
    ),
    def("math/exp", 1, Some(1), b_exp, "e to the power x, a float (inf when too large).", "(math/exp x)", "(math/exp 0) => 1.0"),
    def(
        "math/log",
        1,
        Some(1),
        b_log,
        "Natural logarithm, a float; -inf for 0 and NaN for a negative number (IEEE).",
        "(math/log x)",
        "(math/log 1) => 0.0",
    ),
    def(
        "math/log10",
        1,
        Some(1),
        b_log10,
        "Base-10 logarithm, a float; -inf for 0 and NaN for a negative number (IEEE).",
        "(math/log10 x)",
        "(math/log10 1000) => 3.0",
    ),
    def("math/sin", 1, Some(1), b_sin, "Sine of x radians, a float (NaN for ±inf).", "(math/sin x)", "(math/sin 0) => 0.0"),
    def("math/cos", 1, Some(1), b_cos, "Cosine of x radians, a float (NaN for ±inf).", "(math/cos x)", "(math/cos 0) => 1.0"),
    def("math/tan", 1, Some(1), b_tan, "Tangent of x radians, a float (NaN for ±inf).", "(math/tan x)", "(math/tan 0) => 0.0"),
    def(
        "math/asin",
        1,
        Some(1),
        b_asin,
        "Arcsine in radians, a float; NaN outside [-1, 1].",
        "(math/asin x)",
        "(math/asin 0) => 0.0",
    ),
    def(
        "math/acos",
        1,
        Some(1),
        b_acos,
        "Arccosine in radians, a float; NaN outside [-1, 1].",
        "(math/acos x)",
        "(math/acos 1) => 0.0",
    ),
    def("math/atan", 1, Some(1), b_atan, "Arctangent in radians, a float.", "(math/atan x)", "(math/atan 0) => 0.0"),
    def(
        "math/atan2",
        2,
        Some(2),
        b_atan2,
        "The angle in radians of the point (x, y), in [-pi, pi], a float.",
        "(math/atan2 y x)",
        "(math/atan2 1 1) => 0.7853981633974483",
    ),
    def(
        "math/random",
        0,
        Some(1),
        b_random,
        "With no argument a float in [0, 1); with a positive integer n an integer in [0, n) (an error for n <= 0).",
        "(math/random [n])",
        "(math/random 6) => ...",
    ),
    def("math/pi", 0, Some(0), |_, _| Ok(Value::Float(std::f64::consts::PI)), "The constant pi (a function, compat).", "(math/pi)", "(math/pi) => 3.141592653589793"),
    def("math/e", 0, Some(0), |_, _| Ok(Value::Float(std::f64::consts::E)), "The constant e (a function, compat).", "(math/e)", "(math/e) => 2.718281828459045"),
];

fn b_abs(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    match &a[0] {
        Value::Int(i) => i.checked_abs().map(Value::Int).ok_or_else(overflow),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        other => wrong_type("math/abs", 1, "number", other),
    }
}

fn b_sign(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    match &a[0] {
        Value::Int(i) => Ok(Value::Int(i.signum())),
        Value::Float(f) if *f > 0.0 => Ok(Value::Float(1.0)),
        Value::Float(f) if *f < 0.0 => Ok(Value::Float(-1.0)),
        // ±0.0 and NaN are their own sign.
        Value::Float(f) => Ok(Value::Float(*f)),
        other => wrong_type("math/sign", 1, "number", other),
    }
}

/// Exact comparison of two numbers (an integer against a float is compared without rounding
/// the integer); `None` when a NaN is involved.
fn cmp_num(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => cmp_int_float(*x, *y),
        (Value::Float(x), Value::Int(y)) => cmp_int_float(*y, *x).map(Ordering::reverse),
        _ => None,
    }
}

fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 is exact as a float; every float at or above it exceeds every i64.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let fl = f.floor();
    let fi = fl as i64; // exact: fl is integral and in range
    Some(match i.cmp(&fi) {
        Ordering::Equal if f > fl => Ordering::Less,
        ord => ord,
    })
}

/// The argument that `better` prefers over all others (the first one on ties), NaN if any
/// argument is NaN. All arguments are type-checked first.
fn extreme(name: &str, a: &[Value], better: Ordering) -> Result<Value, ErrorValue> {
    for (i, v) in a.iter().enumerate() {
        if !matches!(v, Value::Int(_) | Value::Float(_)) {
            return wrong_type(name, i + 1, "number", v);
        }
    }
    if let Some(nan) = a.iter().find(|v| matches!(v, Value::Float(f) if f.is_nan())) {
        return Ok(nan.clone());
    }
    let mut best = &a[0];
    for v in &a[1..] {
        if cmp_num(v, best) == Some(better) {
            best = v;
        }
    }
    Ok(best.clone())
}

fn b_min(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    extreme("math/min", a, Ordering::Less)
}

fn b_max(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    extreme("math/max", a, Ordering::Greater)
}

/// Applies a float rounding function and converts the result to an integer; integers pass
/// through unchanged. NaN, ±inf and results outside i64 are errors naming the builtin.
fn to_integer(name: &str, v: &Value, round: fn(f64) -> f64) -> Result<Value, ErrorValue> {
    match v {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(f) => {
            if !f.is_finite() {
                let what = if f.is_nan() {
                    "nan"
                } else if *f > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                return Err(ErrorValue::arithmetic(format!("{name}: cannot convert {what} to an integer")));
            }
            let r = round(*f);
            const TWO_63: f64 = 9_223_372_036_854_775_808.0;
            if (-TWO_63..TWO_63).contains(&r) {
                Ok(Value::Int(r as i64))
            } else {
                Err(ErrorValue::arithmetic(format!("{name}: {f:e} is outside the integer range")))
            }
        }
        other => wrong_type(name, 1, "number", other),
    }
}

fn b_floor(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    to_integer("math/floor", &a[0], f64::floor)
}
fn b_ceil(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    to_integer("math/ceil", &a[0], f64::ceil)
}
fn b_round(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    // f64::round rounds halves away from zero.
    to_integer("math/round", &a[0], f64::round)
}
fn b_trunc(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    to_integer("math/trunc", &a[0], f64::trunc)
}

/// Integer power by squaring with overflow checks (any u64 exponent).
fn int_pow(mut base: i64, mut exp: u64) -> Option<i64> {
    let mut acc: i64 = 1;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.checked_mul(base)?;
        }
        exp >>= 1;
        if exp > 0 {
            base = base.checked_mul(base)?;
        }
    }
    Some(acc)
}

fn b_pow(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    if let (Value::Int(b), Value::Int(e)) = (&a[0], &a[1]) {
        if *e >= 0 {
            // 0, 1 and -1 never overflow, whatever the exponent; squaring handles them too,
            // since their squares stay in range.
            return int_pow(*b, *e as u64).map(Value::Int).ok_or_else(overflow);
        }
    }
    let b = arg_num("math/pow", a, 1)?;
    let e = arg_num("math/pow", a, 2)?;
    Ok(Value::Float(b.powf(e)))
}

macro_rules! float_fn {
    ($fn_name:ident, $name:literal, $f:expr) => {
        fn $fn_name(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
            let f: fn(f64) -> f64 = $f;
            Ok(Value::Float(f(arg_num($name, a, 1)?)))
        }
    };
}

float_fn!(b_sqrt, "math/sqrt", f64::sqrt);
float_fn!(b_exp, "math/exp", f64::exp);
float_fn!(b_log, "math/log", f64::ln);
float_fn!(b_log10, "math/log10", f64::log10);
float_fn!(b_sin, "math/sin", f64::sin);
float_fn!(b_cos, "math/cos", f64::cos);
float_fn!(b_tan, "math/tan", f64::tan);
float_fn!(b_asin, "math/asin", f64::asin);
float_fn!(b_acos, "math/acos", f64::acos);
float_fn!(b_atan, "math/atan", f64::atan);

fn b_atan2(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let y = arg_num("math/atan2", a, 1)?;
    let x = arg_num("math/atan2", a, 2)?;
    Ok(Value::Float(y.atan2(x)))
}

fn b_random(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    if a.is_empty() {
        return Ok(Value::Float(fastrand::f64()));
    }
    let n = arg_int("math/random", a, 1)?;
    if n <= 0 {
        return Err(ErrorValue::user(format!("math/random: the bound must be a positive integer, got {n}")));
    }
    Ok(Value::Int(fastrand::i64(0..n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_pow_checks_overflow() {
        assert_eq!(int_pow(2, 62), Some(1 << 62));
        assert_eq!(int_pow(2, 63), None);
        assert_eq!(int_pow(-2, 63), Some(i64::MIN));
        assert_eq!(int_pow(-1, u64::MAX), Some(-1));
        assert_eq!(int_pow(1, u64::MAX), Some(1));
        assert_eq!(int_pow(0, 0), Some(1));
        assert_eq!(int_pow(3, 40), None);
    }

    #[test]
    fn int_float_comparison_is_exact() {
        assert_eq!(cmp_int_float(9_007_199_254_740_993, 9_007_199_254_740_992.0), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(i64::MAX, 9_223_372_036_854_775_808.0), Some(Ordering::Less));
        assert_eq!(cmp_int_float(i64::MIN, -9_223_372_036_854_775_808.0), Some(Ordering::Equal));
        assert_eq!(cmp_int_float(1, 1.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(-2, -1.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(-1, -1.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(0, f64::NAN), None);
    }
}
