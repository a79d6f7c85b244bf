//! `list/` builtins beyond the core list operations: `take`, `drop`, `includes?`, `flatten` and
//! `sort`. Nothing here recurses on the Rust stack per nesting level, and `sort` is a merge sort
//! of our own, so a comparator that is inconsistent, throws, or sorts the list again cannot make
//! it panic.

use super::{arg_int, def, expect_list, wrong_type, BuiltinDef, Host};
use crate::error::{type_error, ErrorValue};
use crate::value::{Cons, Value};
use std::cmp::Ordering;
use std::rc::Rc;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "list/take",
        2,
        Some(2),
        b_take,
        "The first n elements (the whole list when n is larger than its length). A negative n is an error.",
        "(list/take list n)",
        "(list/take (list 1 2 3) 2) => (1 2)",
    ),
    def(
        "list/drop",
        2,
        Some(2),
        b_drop,
        "The list without its first n elements (() when n is at least its length; the rest is shared, not \
         copied). A negative n is an error.",
        "(list/drop list n)",
        "(list/drop (list 1 2 3) 2) => (3)",
    ),
    def(
        "list/includes?",
        2,
        Some(2),
        b_includes,
        "True when some element is structurally equal (==) to x, so 1 finds 1.0 and lists compare element-wise.",
        "(list/includes? list x)",
        "(list/includes? (list 1 (list 2 3)) (list 2 3)) => true",
    ),
    def(
        "list/flatten",
        1,
        Some(1),
        b_flatten,
        "The non-list elements of a list nested to any depth, in order; empty lists vanish, nil stays an element.",
        "(list/flatten list)",
        "(list/flatten (list 1 (list 2 (list 3 ())) 4)) => (1 2 3 4)",
    ),
    def(
        "list/sort",
        1,
        Some(2),
        b_sort,
        "A stable sorted copy. Without a comparator: all numbers (ascending, NaN last) or all strings (by code \
         point), else a TypeError. (f a b) returns true when a goes before b (or a number, negative meaning \
         before, like JavaScript); its errors propagate, and an inconsistent one gives some permutation.",
        "(list/sort list [f])",
        "(list/sort (list 3 1 2) >) => (3 2 1)",
    ),
];

fn count_arg(name: &str, args: &[Value]) -> Result<usize, ErrorValue> {
    let n = arg_int(name, args, 2)?;
    if n < 0 {
        return Err(ErrorValue::new("Error", format!("{name}: count must not be negative, got {n}")));
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

fn b_take(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let list = expect_list("list/take", 1, &a[0])?;
    let n = count_arg("list/take", a)?;
    if n >= list.list_len() {
        return Ok(match list {
            Value::Nil => Value::EMPTY,
            l => l.clone(),
        });
    }
    Ok(Value::list_from(list.list_iter().take(n).collect::<Vec<_>>()))
}

fn b_drop(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let list = expect_list("list/drop", 1, &a[0])?;
    let n = count_arg("list/drop", a)?;
    let mut cur: Option<&Rc<Cons>> = match list {
        Value::List(l) => l.as_ref(),
        _ => None,
    };
    for _ in 0..n {
        match cur {
            Some(c) => cur = c.tail.as_ref(),
            None => break,
        }
    }
    Ok(Value::List(cur.cloned()))
}

fn b_includes(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let list = expect_list("list/includes?", 1, &a[0])?;
    Ok(Value::Bool(list.list_iter().any(|x| x.equals(&a[1]))))
}

fn b_flatten(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let list = expect_list("list/flatten", 1, &a[0])?;
    let mut out = Vec::new();
    // A stack of cursors into the lists being walked: nesting costs heap, not Rust stack.
    let mut stack: Vec<Option<Rc<Cons>>> = match list {
        Value::List(l) => vec![l.clone()],
        _ => Vec::new(),
    };
    while let Some(top) = stack.last_mut() {
        match top.take() {
            None => {
                stack.pop();
            }
            Some(cell) => {
                *top = cell.tail.clone();
                match &cell.head {
                    Value::List(inner) => stack.push(inner.clone()),
                    x => {
                        // A list that shares sublists can flatten to far more than it holds.
                        if out.len() % 4096 == 4095 {
                            super::check_collection(h, "list/flatten", Some(out.len()))?;
                        }
                        out.push(x.clone())
                    }
                }
            }
        }
    }
    Ok(Value::list_from(out))
}

fn b_sort(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let list = expect_list("list/sort", 1, &a[0])?;
    let mut items: Vec<Value> = list.list_iter().collect();
    match a.get(1) {
        None => {
            check_sortable(&items)?;
            // `natural_order` is a total order, so the standard (stable) sort cannot panic.
            items.sort_by(natural_order);
        }
        Some(f) => {
            if !matches!(
                f,
                Value::Func(_)
                    | Value::Builtin(_)
                    | Value::Native(_)
                    | Value::Compiled(_)
                    | Value::Sym(_)
                    | Value::Str(_)
            ) {
                return wrong_type("list/sort", 2, "function", f);
            }
            // `b` goes before `a` exactly when (f b a) says so: taking the right element only
            // then keeps equal elements in their original order.
            merge_sort(&mut items, |left, right| {
                let r = h.call(f, &[right.clone(), left.clone()])?;
                match r {
                    Value::Bool(b) => Ok(b),
                    Value::Nil => Ok(false),
                    Value::Int(i) => Ok(i < 0),
                    Value::Float(x) => Ok(x < 0.0),
                    other => type_error(format!(
                        "Type error: list/sort comparator must return a boolean or a number, got {}",
                        other.type_name()
                    )),
                }
            })?;
        }
    }
    Ok(Value::list_from(items))
}

/// Without a comparator the elements must be all numbers or all strings.
fn check_sortable(items: &[Value]) -> Result<(), ErrorValue> {
    let mut first: Option<&Value> = None;
    for x in items {
        if !matches!(x, Value::Int(_) | Value::Float(_) | Value::Str(_)) {
            return type_error(format!(
                "Type error: list/sort without a comparator sorts numbers or strings, got {}",
                x.type_name()
            ));
        }
        match first {
            None => first = Some(x),
            Some(f) if f.type_name() != x.type_name() => {
                return type_error(format!(
                    "Type error: list/sort cannot compare {} with {} (pass a comparator)",
                    f.type_name(),
                    x.type_name()
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Numbers compare exactly across integers and floats (no rounding of large integers), with NaN
/// after everything; strings compare by code point. Only called on checked lists.
fn natural_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => float_order(*x, *y),
        (Value::Int(x), Value::Float(y)) => int_float_order(*x, *y),
        (Value::Float(x), Value::Int(y)) => int_float_order(*y, *x).reverse(),
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

fn float_order(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        // Neither is NaN: partial_cmp is total here (and -0.0 equals 0.0).
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

fn int_float_order(i: i64, f: f64) -> Ordering {
    if f.is_nan() {
        return Ordering::Less;
    }
    match (i as f64).partial_cmp(&f) {
        // Equal after rounding i: f is then an integer within ±2^63, so i128 compares exactly.
        Some(Ordering::Equal) => (i as i128).cmp(&(f as i128)),
        Some(o) => o,
        None => Ordering::Equal,
    }
}

/// Stable bottom-up merge sort with a fallible "right goes before left" test. Every index is
/// bounded by construction, so any answers from `before` (even contradictory ones) end in some
/// permutation of the input; the first error stops the sort and is returned.
fn merge_sort<F>(items: &mut Vec<Value>, mut before: F) -> Result<(), ErrorValue>
where
    F: FnMut(&Value, &Value) -> Result<bool, ErrorValue>,
{
    let n = items.len();
    if n < 2 {
        return Ok(());
    }
    let mut src = std::mem::take(items);
    let mut dst: Vec<Value> = Vec::with_capacity(n);
    let mut width = 1usize;
    while width < n {
        dst.clear();
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                if before(&src[i], &src[j])? {
                    dst.push(src[j].clone());
                    j += 1;
                } else {
                    dst.push(src[i].clone());
                    i += 1;
                }
            }
            dst.extend_from_slice(&src[i..mid]);
            dst.extend_from_slice(&src[j..end]);
            start = end;
        }
        std::mem::swap(&mut src, &mut dst);
        width = width.saturating_mul(2);
    }
    *items = src;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sort_survives_inconsistent_comparators() {
        let mut seed = 12345u64;
        let mut items: Vec<Value> = (0..1000).map(Value::Int).collect();
        merge_sort(&mut items, |_, _| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            Ok(seed >> 63 == 1)
        })
        .unwrap();
        let mut seen: Vec<i64> = items.iter().map(|v| if let Value::Int(i) = v { *i } else { -1 }).collect();
        seen.sort();
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn merge_sort_is_stable() {
        let mut items: Vec<Value> =
            (0..100).map(|i| Value::list_from(vec![Value::Int(i % 3), Value::Int(i)])).collect();
        let key = |v: &Value| match v.list_iter().next() {
            Some(Value::Int(k)) => k,
            _ => unreachable!(),
        };
        merge_sort(&mut items, |l, r| Ok(key(r) < key(l))).unwrap();
        let pairs: Vec<(i64, i64)> = items
            .iter()
            .map(|v| {
                let xs: Vec<Value> = v.list_iter().collect();
                match (&xs[0], &xs[1]) {
                    (Value::Int(a), Value::Int(b)) => (*a, *b),
                    _ => unreachable!(),
                }
            })
            .collect();
        let mut expected = pairs.clone();
        expected.sort();
        assert_eq!(pairs, expected);
    }

    #[test]
    fn natural_order_is_exact_for_large_integers() {
        let big = (1i64 << 53) + 1;
        assert_eq!(int_float_order(big, (1i64 << 53) as f64), Ordering::Greater);
        assert_eq!(int_float_order(i64::MAX, 9.223372036854776e18), Ordering::Less);
        assert_eq!(int_float_order(1, f64::NAN), Ordering::Less);
        assert_eq!(float_order(f64::NAN, f64::INFINITY), Ordering::Greater);
    }
}
