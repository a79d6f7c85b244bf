//! Core builtins: arithmetic and comparison, printing, errors, `type/of`, and the list basics
//! the core language needs.

use super::{def, expect_list, BuiltinDef, Host};
use crate::error::{type_error, ErrorValue};
use crate::ops;
use crate::value::Value;

/// The core table. `apply` must stay first (see [`super::APPLY`]).
pub const TABLE: &[BuiltinDef] = &[
    def(
        "apply",
        2,
        None,
        apply_unreachable,
        "(apply f a... list) calls f with the arguments and the list's elements",
        "(apply f arg... list)",
        "(apply + 1 (list 2 3)) => 6",
    ),
    def("+", 0, None, b_add, "sum of numbers; (+) is 0", "(+ x...)", "(+ 1 2 3.5) => 6.5"),
    def("-", 1, None, b_sub, "difference; (- x) negates", "(- x y...)", "(- 10 4 1) => 5"),
    def("*", 0, None, b_mul, "product; (*) is 1", "(* x...)", "(* 2 3 4) => 24"),
    def("/", 1, None, b_div, "division, always a float; (/ x) is 1/x", "(/ x y...)", "(/ 7 2) => 3.5"),
    def(
        "==",
        1,
        None,
        b_eq,
        "structural equality of all arguments",
        "(== a b...)",
        "(== (list 1 2) (list 1.0 2)) => true",
    ),
    def("!=", 2, Some(2), b_ne, "structural inequality", "(!= a b)", "(!= 1 2) => true"),
    def("<", 1, None, b_lt, "strictly increasing", "(< x y...)", "(< 1 2 3) => true"),
    def(">", 1, None, b_gt, "strictly decreasing", "(> x y...)", "(> 3 2 2) => false"),
    def("<=", 1, None, b_le, "non-decreasing", "(<= x y...)", "(<= 1 1 2) => true"),
    def(">=", 1, None, b_ge, "non-increasing", "(>= x y...)", "(>= 3 3 1) => true"),
    def(
        "not",
        1,
        Some(1),
        |_, a| Ok(Value::Bool(!a[0].is_truthy())),
        "logical negation",
        "(not x)",
        "(not nil) => true",
    ),
    def(
        "eq?",
        2,
        Some(2),
        |_, a| Ok(Value::Bool(a[0].identical(&a[1]))),
        "identity",
        "(eq? a b)",
        "(eq? :a :a) => true",
    ),
    def(
        "print",
        0,
        None,
        b_print,
        "prints the arguments (strings raw) separated by spaces, then a newline",
        "(print x...)",
        "(print \"a\" 1) => nil",
    ),
    def("say", 0, None, b_print, "same as print (compat)", "(say x...)", "(say \"hello\") => nil"),
    def("warn", 0, None, b_warn, "prints the arguments to stderr", "(warn x...)", "(warn \"careful\") => nil"),
    def(
        "gensym",
        0,
        Some(1),
        b_gensym,
        "a fresh symbol, optionally with a prefix",
        "(gensym [prefix])",
        "(type/of (gensym)) => \"SYMBOL\"",
    ),
    def(
        "error",
        1,
        Some(2),
        b_error,
        "(error message [type]) makes an error value (does not raise it)",
        "(error message [type])",
        "(error/message (error \"boom\")) => \"boom\"",
    ),
    def(
        "error/message",
        1,
        Some(1),
        |_, a| error_field(&a[0], "message"),
        "the message of an error",
        "(error/message e)",
        "(try (throw \"x\") (catch e (error/message e))) => \"x\"",
    ),
    def(
        "error/type",
        1,
        Some(1),
        |_, a| error_field(&a[0], "type"),
        "the type name of an error",
        "(error/type e)",
        "(try (/ 1 0) (catch e (error/type e))) => \"ArithmeticError\"",
    ),
    def(
        "type/of",
        1,
        Some(1),
        |_, a| Ok(Value::str(a[0].type_name())),
        "NUMBER STRING BOOLEAN LIST NIL FUNCTION ERROR MAP SYMBOL PID",
        "(type/of x)",
        "(type/of 1.5) => \"NUMBER\"",
    ),
    def(
        "list",
        0,
        None,
        |_, a| Ok(Value::list_from(a.to_vec())),
        "a list of the arguments",
        "(list x...)",
        "(list 1 \"a\" :b) => (1 \"a\" :b)",
    ),
    def(
        "list/create",
        0,
        None,
        |_, a| Ok(Value::list_from(a.to_vec())),
        "a list of the arguments",
        "(list/create x...)",
        "(list/create 1 2) => (1 2)",
    ),
    def(
        "head",
        1,
        Some(1),
        |_, a| ops::head(&a[0]),
        "first element, nil for ()",
        "(head list)",
        "(head (list 1 2)) => 1",
    ),
    def(
        "list/head",
        1,
        Some(1),
        |_, a| ops::head(&a[0]),
        "first element, nil for ()",
        "(list/head list)",
        "(list/head ()) => nil",
    ),
    def(
        "tail",
        1,
        Some(1),
        |_, a| ops::tail(&a[0]),
        "all but the first element",
        "(tail list)",
        "(tail (list 1 2 3)) => (2 3)",
    ),
    def(
        "list/tail",
        1,
        Some(1),
        |_, a| ops::tail(&a[0]),
        "all but the first element",
        "(list/tail list)",
        "(list/tail ()) => ()",
    ),
    def(
        "cons",
        2,
        Some(2),
        |_, a| ops::cons(&a[0], &a[1]),
        "a new list with x in front",
        "(cons x list)",
        "(cons 0 (list 1 2)) => (0 1 2)",
    ),
    def(
        "list/cons",
        2,
        Some(2),
        |_, a| ops::cons(&a[0], &a[1]),
        "a new list with x in front",
        "(list/cons x list)",
        "(list/cons 1 ()) => (1)",
    ),
    def(
        "empty?",
        1,
        Some(1),
        |_, a| ops::is_empty(&a[0]).map(Value::Bool),
        "true for () and nil",
        "(empty? list)",
        "(empty? ()) => true",
    ),
    def(
        "list/empty?",
        1,
        Some(1),
        |_, a| ops::is_empty(&a[0]).map(Value::Bool),
        "true for () and nil",
        "(list/empty? list)",
        "(list/empty? (list 1)) => false",
    ),
    def(
        "list/length",
        1,
        Some(1),
        b_length,
        "number of elements",
        "(list/length list)",
        "(list/length (list 1 2 3)) => 3",
    ),
    def(
        "list/nth",
        2,
        Some(2),
        b_nth,
        "element at a 0-based index, nil when out of range",
        "(list/nth list index)",
        "(list/nth (list :a :b) 1) => :b",
    ),
    def(
        "list/reverse",
        1,
        Some(1),
        b_reverse,
        "the list reversed",
        "(list/reverse list)",
        "(list/reverse (list 1 2 3)) => (3 2 1)",
    ),
    def(
        "list/append",
        0,
        None,
        |h, a| {
            let len = a
                .iter()
                .try_fold(0usize, |n, l| n.checked_add(if matches!(l, Value::List(_)) { l.list_len() } else { 0 }));
            super::check_collection(h, "list/append", len)?;
            ops::append(a)
        },
        "concatenation of lists",
        "(list/append list...)",
        "(list/append (list 1) (list 2 3)) => (1 2 3)",
    ),
    def(
        "%check-list",
        3,
        Some(3),
        b_check_list,
        "(%check-list value name position): argument check used by the prelude",
        "(%check-list value name position)",
        "(%check-list () \"f\" 1) => nil",
    ),
    def(
        "list/range",
        1,
        Some(3),
        b_range,
        "(list/range end) or (list/range start end [step])",
        "(list/range [start] end [step])",
        "(list/range 1 10 3) => (1 4 7)",
    ),
    def(
        "math/mod",
        2,
        Some(2),
        |_, a| ops::floor_mod(&a[0], &a[1]),
        "floor modulo",
        "(math/mod a b)",
        "(math/mod -7 3) => 2",
    ),
    def("mod", 2, Some(2), |_, a| ops::floor_mod(&a[0], &a[1]), "floor modulo (compat)", "(mod a b)", "(mod 7 3) => 1"),
    def(
        "math/div",
        2,
        Some(2),
        |_, a| ops::floor_div(&a[0], &a[1]),
        "floor division",
        "(math/div a b)",
        "(math/div -7 2) => -4",
    ),
    def(
        "string/concat",
        0,
        None,
        b_concat,
        "concatenation; non-strings in print form",
        "(string/concat x...)",
        "(string/concat \"n=\" 42) => \"n=42\"",
    ),
    def(
        "string/length",
        1,
        Some(1),
        b_strlen,
        "length in characters",
        "(string/length s)",
        "(string/length \"héllo\") => 5",
    ),
];

fn apply_unreachable(_: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    Err(ErrorValue::new("Error", "apply is performed by the VM"))
}

/// Spreads `apply`'s arguments: all but the last, then the last list's elements.
pub fn apply_args(args: &[Value]) -> Result<Vec<Value>, ErrorValue> {
    let (last, fixed) = args[1..].split_last().expect("apply has at least 2 arguments");
    match last {
        Value::List(_) | Value::Nil => Ok(fixed.iter().cloned().chain(last.list_iter()).collect()),
        other => {
            type_error(format!("Type error: apply expects a list as its last argument, got {}", other.type_name()))
        }
    }
}

fn fold(args: &[Value], init: Value, f: fn(&Value, &Value) -> Result<Value, ErrorValue>) -> Result<Value, ErrorValue> {
    let mut acc = init;
    for a in args {
        acc = f(&acc, a)?;
    }
    Ok(acc)
}

fn b_add(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    match a {
        [x] => ops::add(&Value::Int(0), x),
        [first, rest @ ..] => fold(rest, first.clone(), ops::add),
        [] => Ok(Value::Int(0)),
    }
}
fn b_mul(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    match a {
        [first, rest @ ..] => fold(rest, ops::mul(&Value::Int(1), first)?, ops::mul),
        [] => Ok(Value::Int(1)),
    }
}
fn b_sub(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    match a {
        [x] => ops::neg(x),
        [first, rest @ ..] => fold(rest, first.clone(), ops::sub),
        [] => unreachable!("arity checked"),
    }
}
fn b_div(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    match a {
        [x] => ops::div(&Value::Int(1), x),
        [first, rest @ ..] => fold(rest, first.clone(), ops::div),
        [] => unreachable!("arity checked"),
    }
}

fn chain(a: &[Value], test: fn(&Value, &Value) -> Result<bool, ErrorValue>) -> Result<Value, ErrorValue> {
    if let [only] = a {
        // Still type-check a single argument.
        test(only, only)?;
    }
    for w in a.windows(2) {
        if !test(&w[0], &w[1])? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}
fn b_lt(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    chain(a, ops::lt)
}
fn b_gt(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    chain(a, ops::gt)
}
fn b_le(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    chain(a, ops::le)
}
fn b_ge(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    chain(a, ops::ge)
}
fn b_eq(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::Bool(a.windows(2).all(|w| w[0].equals(&w[1]))))
}
fn b_ne(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::Bool(!a[0].equals(&a[1])))
}

/// The `print` form of the arguments, separated by spaces.
pub fn join_print(a: &[Value]) -> String {
    let mut s = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&v.to_print_string());
    }
    s
}

/// [`join_print`] for output builtins: the text stops growing at the `output` or `string_len`
/// limit (whichever is smaller) and that limit is raised, before data that unfolds to more
/// (a list sharing its sublists) is all printed.
pub(crate) fn join_print_within(h: &dyn Host, a: &[Value]) -> Result<String, ErrorValue> {
    let limits = h.limits();
    let output = limits.output.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let string = limits.string_len.unwrap_or(usize::MAX);
    let cap = output.min(string).min(super::MAX_STRING_BYTES);
    let mut s = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        if !v.write_print_within(&mut s, cap) {
            return Err(if cap == output {
                ErrorValue::limit("output", format!("{output} bytes"))
            } else if cap == string {
                ErrorValue::limit("string_len", format!("{string} bytes"))
            } else {
                ErrorValue::user(format!("the text would be longer than {} bytes", super::MAX_STRING_BYTES))
            });
        }
    }
    Ok(s)
}

fn b_print(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let mut s = join_print_within(h, a)?;
    s.push('\n');
    h.write_out(&s)?;
    Ok(Value::Nil)
}
fn b_warn(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let mut s = join_print_within(h, a)?;
    s.push('\n');
    h.write_err(&s)?;
    Ok(Value::Nil)
}
fn b_gensym(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let prefix = match a.first() {
        Some(Value::Str(s)) | Some(Value::Sym(s)) => s.to_string(),
        Some(other) => {
            return type_error(format!("Type error: gensym expects a string as argument 1, got {}", other.type_name()))
        }
        None => "g".to_string(),
    };
    let state = h.state();
    state.gensym_counter += 1;
    Ok(Value::sym(format!("{prefix}__{}", state.gensym_counter)))
}
fn b_error(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let message = a[0].to_print_string();
    let etype = match a.get(1) {
        Some(Value::Str(s)) | Some(Value::Sym(s)) | Some(Value::Keyword(s)) => s.to_string(),
        Some(other) => {
            return type_error(format!("Type error: error type must be a string, got {}", other.type_name()))
        }
        None => "Error".into(),
    };
    let mut e = ErrorValue::new(&etype, message);
    if !matches!(a[0], Value::Str(_)) {
        e.payload = a[0].clone();
    }
    Ok(Value::Error(std::rc::Rc::new(e)))
}
fn error_field(v: &Value, field: &str) -> Result<Value, ErrorValue> {
    match v {
        Value::Error(_) => ops::field(v, &Value::str(field)),
        other => {
            type_error(format!("Type error: error/{field} expects an error as argument 1, got {}", other.type_name()))
        }
    }
}

fn b_length(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::Int(expect_list("list/length", 1, &a[0])?.list_len() as i64))
}
fn b_nth(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let list = expect_list("list/nth", 1, &a[0])?;
    let Value::Int(i) = a[1] else {
        return type_error(format!("Type error: list/nth expects an integer as argument 2, got {}", a[1].type_name()));
    };
    if i < 0 {
        return Ok(Value::Nil);
    }
    Ok(list.list_iter().nth(i as usize).unwrap_or(Value::Nil))
}
fn b_reverse(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let list = expect_list("list/reverse", 1, &a[0])?;
    let Value::List(Some(first)) = list else { return Ok(Value::EMPTY) };
    // Walk the cells directly, building the reversed list cell by cell.
    let mut out: Option<std::rc::Rc<crate::value::Cons>> = None;
    let mut len = 0;
    let mut cur = Some(&**first);
    while let Some(cell) = cur {
        len += 1;
        out = Some(std::rc::Rc::new(crate::value::Cons { head: cell.head.clone(), tail: out, len }));
        cur = cell.tail.as_deref();
    }
    Ok(Value::List(out))
}
fn b_check_list(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let pos = match a[2] {
        Value::Int(p) => p as usize,
        _ => 0,
    };
    expect_list(&a[1].to_print_string(), pos, &a[0])?;
    Ok(Value::Nil)
}

/// Most elements `list/range` builds (a list of this many integers takes about 2 GB).
pub const MAX_RANGE: u64 = 50_000_000;

fn b_range(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let ints: Vec<i64> = a
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Int(n) => Ok(*n),
            other => type_error(format!(
                "Type error: list/range expects integers as argument {}, got {}",
                i + 1,
                other.type_name()
            )),
        })
        .collect::<Result<_, _>>()?;
    let (start, end, step) = match ints.as_slice() {
        [e] => (0, *e, 1),
        [s, e] => (*s, *e, 1),
        [s, e, st] => (*s, *e, *st),
        _ => unreachable!("arity checked"),
    };
    if step == 0 {
        return Err(ErrorValue::new("Error", "list/range: step must not be 0"));
    }
    // Count first (in i128, no overflow), so a huge range fails at once instead of after
    // allocating gigabytes.
    let span = end as i128 - start as i128;
    let count = if (step > 0 && span > 0) || (step < 0 && span < 0) {
        ((span.abs() + step.unsigned_abs() as i128 - 1) / step.unsigned_abs() as i128) as u128
    } else {
        0
    };
    if count > MAX_RANGE as u128 {
        return Err(ErrorValue::new("Error", format!("list/range: too many elements ({count}; at most {MAX_RANGE})")));
    }
    super::check_collection(h, "list/range", Some(count as usize))?;
    let out: Vec<Value> = (0..count as i128).map(|k| Value::Int((start as i128 + k * step as i128) as i64)).collect();
    Ok(Value::list_from(out))
}
fn b_concat(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    // Strings and integers are measured before anything is allocated; other values (rare
    // here) only once printed.
    let len = a.iter().try_fold(0usize, |n, v| n.checked_add(ops::print_len(v)));
    super::check_string(h, "string/concat", len)?;
    let mut s = String::with_capacity(len.unwrap_or(0));
    let cap = h.limits().string_len.unwrap_or(usize::MAX).min(super::MAX_STRING_BYTES);
    for v in a {
        match v {
            Value::Str(_) | Value::Int(_) => ops::push_print(&mut s, v),
            // Printed within the limit: data that unfolds to more stops before it is all built.
            other => {
                if !other.write_print_within(&mut s, cap) {
                    super::check_string(h, "string/concat", Some(usize::MAX))?;
                }
            }
        }
    }
    Ok(Value::str(s))
}
fn b_strlen(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    match &a[0] {
        Value::Str(s) => Ok(Value::Int(s.chars().count() as i64)),
        other => {
            type_error(format!("Type error: string/length expects a string as argument 1, got {}", other.type_name()))
        }
    }
}
