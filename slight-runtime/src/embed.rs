//! The embedding API on [`Vm`]: call Slight functions from Rust, read and set globals with
//! Rust types, and register Rust closures as Slight functions.

use crate::convert::{FromValue, IntoValue};
use crate::error::{Error, ErrorValue};
use crate::value::{NativeFn, Value};
use crate::vm::Vm;
use std::rc::Rc;

/// What a registered Rust function may return: any [`IntoValue`] type, or a `Result` whose
/// `Err` becomes a Slight error (catchable with `try`).
pub trait IntoReturn {
    /// The value as a Slight result; an `Err` becomes a catchable `Error` with the same message.
    fn into_return(self) -> Result<Value, ErrorValue>;
}

impl<T: IntoValue> IntoReturn for T {
    fn into_return(self) -> Result<Value, ErrorValue> {
        Ok(self.into_value())
    }
}

impl<T: IntoValue, E: std::fmt::Display> IntoReturn for Result<T, E> {
    fn into_return(self) -> Result<Value, ErrorValue> {
        self.map(IntoValue::into_value).map_err(|e| ErrorValue::user(e.to_string()))
    }
}

/// Rust closures that can become Slight functions; `Args` is a marker of the argument types.
pub trait IntoNative<Args> {
    /// Wraps the closure as a native function named `name` that converts its arguments (errors name
    /// the argument) and its result.
    fn into_native(self, name: &str) -> NativeFn;
}

/// A closure over the raw argument slice: variadic.
pub struct RawArgs;

impl<F, R> IntoNative<RawArgs> for F
where
    F: Fn(&[Value]) -> R + 'static,
    R: IntoReturn,
{
    fn into_native(self, name: &str) -> NativeFn {
        NativeFn {
            name: name.to_string(),
            arity: None,
            func: Box::new(move |args| self(args).into_return()),
            start_async: None,
        }
    }
}

fn arg<T: FromValue>(name: &str, args: &[Value], i: usize) -> Result<T, ErrorValue> {
    T::from_value(&args[i]).map_err(|e| {
        let message = format!("{name}: argument {}: {}", i + 1, e.message);
        e.with_message(message)
    })
}

macro_rules! native_arity {
    ($n:expr; $($t:ident $i:tt),*) => {
        impl<F, R, $($t),*> IntoNative<($($t,)*)> for F
        where
            F: Fn($($t),*) -> R + 'static,
            R: IntoReturn,
            $($t: FromValue,)*
        {
            #[allow(unused_variables)]
            fn into_native(self, name: &str) -> NativeFn {
                let fname = name.to_string();
                NativeFn {
                    name: name.to_string(),
                    arity: Some($n),
                    func: Box::new(move |args: &[Value]| self($(arg::<$t>(&fname, args, $i)?),*).into_return()),
                    start_async: None,
                }
            }
        }
    };
}

native_arity!(0;);
native_arity!(1; A 0);
native_arity!(2; A 0, B 1);
native_arity!(3; A 0, B 1, C 2);
native_arity!(4; A 0, B 1, C 2, D 3);
native_arity!(5; A 0, B 1, C 2, D 3, E 4);

impl Vm {
    /// Registers a Rust closure as a global Slight function:
    /// `vm.register_fn("add", |a: i64, b: i64| a + b)`.
    pub fn register_fn<Args, F: IntoNative<Args>>(&mut self, name: &str, f: F) {
        let native = f.into_native(name);
        self.define_user_global(name, Value::Native(Rc::new(native)));
    }

    /// Calls the global function `name` with arguments.
    pub fn call(&mut self, name: &str, args: &[Value]) -> Result<Value, Error> {
        let f = self.global(name).ok_or_else(|| Error::plain("NameError", format!("Undefined symbol: {name}")))?;
        self.call_value(&f, args).map_err(|e| self.to_error(&e))
    }

    /// Reads a global as a Rust type.
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, Error> {
        let v = self.global(name).ok_or_else(|| Error::plain("NameError", format!("Undefined symbol: {name}")))?;
        T::from_value(&v).map_err(|e| Error::plain(&e.etype, e.message.clone()))
    }

    /// Sets (or defines) a global from a Rust value.
    pub fn set(&mut self, name: &str, value: impl IntoValue) {
        self.define_user_global(name, value.into_value());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn register_call_get_set() {
        let mut vm = Vm::new();
        vm.register_fn("add", |a: i64, b: i64| a + b);
        vm.register_fn("greet", |name: String| format!("hi {name}"));
        vm.register_fn("checked", |x: i64| if x < 0 { Err("negative") } else { Ok(x) });
        vm.register_fn("sum-all", |xs: Vec<i64>| xs.iter().sum::<i64>());
        assert_eq!(vm.eval("(add 2 3)").unwrap(), Value::Int(5));
        assert_eq!(vm.eval("(greet \"bob\")").unwrap(), Value::str("hi bob"));
        assert_eq!(vm.eval("(try (checked -1) (catch e (error/message e)))").unwrap(), Value::str("negative"));
        assert_eq!(vm.eval("(sum-all (list 1 2 3))").unwrap(), Value::Int(6));
        let err = vm.eval("(add 1 \"x\")").unwrap_err();
        assert_eq!(err.message, "add: argument 2: Type error: expected i64, got STRING");
        vm.set("limit", 10i64);
        vm.eval("(defun double (x) (* x limit))").unwrap();
        assert_eq!(vm.call("double", &[Value::Int(4)]).unwrap(), Value::Int(40));
        vm.eval("(def names (list \"a\" \"b\"))").unwrap();
        assert_eq!(vm.get::<Vec<String>>("names").unwrap(), vec!["a".to_string(), "b".to_string()]);
        let mut m = HashMap::new();
        m.insert("k".to_string(), 1i64);
        vm.set("m", m.clone());
        assert_eq!(vm.get::<HashMap<String, i64>>("m").unwrap(), m);
        assert!(vm.get::<Option<i64>>("nothing").is_err());
    }

    #[test]
    fn higher_order_builtins_take_every_kind_of_function() {
        let mut vm = Vm::new();
        vm.register_fn("double", |x: i64| x * 2);
        vm.register_fn("bigger?", |a: i64, b: i64| a > b);
        let cases = [
            ("(list/map double (list 1 2 3))", "(2 4 6)"),
            ("(list/map 'double (list 1 2 3))", "(2 4 6)"),
            ("(list/map (fun (x) (+ x 1)) (list 1 2))", "(2 3)"),
            ("(list/map 'string/upper (list \"a\" \"b\"))", "(\"A\" \"B\")"),
            ("(list/filter 'empty? (list () (list 1) ()))", "(() ())"),
            ("(list/reduce + 0 (list 1 2 3))", "6"),
            ("(list/sort (list 3 1 2) bigger?)", "(3 2 1)"),
            ("(list/sort (list 3 1 2) '<)", "(1 2 3)"),
        ];
        for (src, want) in cases {
            assert_eq!(vm.eval(src).unwrap().repr(), want, "{src}");
        }
    }

    #[test]
    fn captured_output() {
        let mut vm = Vm::new();
        let out = vm.capture_output();
        vm.eval("(print \"a\" 1 (list 2 \"b\"))").unwrap();
        assert_eq!(out.borrow().as_str(), "a 1 (2 b)\n");
    }
}
