//! Tests of the typed lowering (`slight_core::lower`): typed `defun`s become plain Rust
//! functions (exact pretty-printed text, parsed back by syn and converted back to the same
//! Rust-AST form), and anything outside the typed subset is a positioned error. Later sections
//! check the speculative lowering, closure inlining, and the dynamic lowering's last-use moves
//! (`string/concat` built in place).
#![cfg(feature = "codegen")]

use slight_core::expander::{expand, NoMacros};
use slight_core::lower::{lower_typed_fn, lower_typed_program, signature, FnSig, Options, Signatures};
use slight_core::resolver::resolve_toplevel;
use slight_core::rust_ast::{file_from_rust, source, Printer};
use slight_core::{ErrorKind, Expr, GlobalNames, Reader, Sexp, SlightError, Span, Type};

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// Reads, expands and resolves every top-level form of `src` (one global table).
fn resolved(src: &str) -> Vec<Expr> {
    let mut globals = GlobalNames::new();
    let forms = Reader::read_all(src, 0).unwrap_or_else(|e| panic!("reading {src:?}: {}", e.message));
    forms
        .iter()
        .map(|f| {
            let mut e = expand(f, &mut NoMacros).unwrap_or_else(|e| panic!("expanding: {}", e.message));
            resolve_toplevel(&mut e, &mut globals, None).unwrap_or_else(|e| panic!("resolving: {}", e.message));
            e
        })
        .collect()
}

fn lower_src(src: &str) -> Result<Vec<Sexp>, SlightError> {
    lower_typed_program(&resolved(src), &Options::default())
}

/// The pretty Rust of all functions in `src`; each also parses back with syn to the same form.
fn rust(src: &str) -> String {
    let items = lower_src(src).unwrap_or_else(|e| panic!("lowering: {} at {}:{}", e.message, e.span.line, e.span.col));
    let file = Sexp::list(
        std::iter::once(Sexp::sym("file", Span::default())).chain(items.iter().cloned()).collect(),
        Span::default(),
    );
    let text = source(&file, Printer::Pretty).unwrap_or_else(|e| panic!("printing {file}: {}", e.message));
    let back = file_from_rust(&text).unwrap_or_else(|e| panic!("parsing back {text}: {}", e.message));
    assert!(back.same(&file), "round trip:\n{file}\nread back as\n{back}");
    let fast = source(&file, Printer::Fast).expect("fast printer");
    let back = file_from_rust(&fast).expect("fast output parses");
    assert!(back.same(&file), "fast round trip of {fast}");
    text
}

/// (kind, message, line, col) of the error lowering `src` gives.
fn err(src: &str) -> (ErrorKind, String, u32, u32) {
    match lower_src(src) {
        Ok(items) => panic!("expected an error for {src:?}, got {items:?}"),
        Err(e) => (e.kind, e.message, e.span.line, e.span.col),
    }
}

// ------------------------------------------------------------------------------------------
// Typed functions become plain Rust
// ------------------------------------------------------------------------------------------

#[test]
fn fib_is_a_plain_function_with_checked_arithmetic() {
    assert_eq!(
        rust("(defun fib:i64 (n:i64) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))"),
        "pub fn fib(n: i64) -> i64 {
    if n < 2 {
        n
    } else {
        ::slight::__rt::checked(
            i64::checked_add(
                fib(::slight::__rt::checked(i64::checked_sub(n, 1))),
                fib(::slight::__rt::checked(i64::checked_sub(n, 2))),
            ),
        )
    }
}
"
    );
}

#[test]
fn self_tail_call_becomes_a_loop() {
    assert_eq!(
        rust("(defun count:i64 (i:i64 acc:i64) (if (== i 0) acc (count (- i 1) (+ acc i))))"),
        "pub fn count(mut i: i64, mut acc: i64) -> i64 {
    loop {
        return if i == 0 {
            acc
        } else {
            let __next_i = ::slight::__rt::checked(i64::checked_sub(i, 1));
            let __next_acc = ::slight::__rt::checked(i64::checked_add(acc, i));
            i = __next_i;
            acc = __next_acc;
            continue;
        };
    }
}
"
    );
}

#[test]
fn unchanged_and_independent_values_need_no_temporaries() {
    assert_eq!(
        rust("(defun down:i64 (k:i64 i:i64) (if (<= i 0) k (down k (- i 1))))"),
        "pub fn down(mut k: i64, mut i: i64) -> i64 {
    loop {
        return if i <= 0 {
            k
        } else {
            i = ::slight::__rt::checked(i64::checked_sub(i, 1));
            continue;
        };
    }
}
"
    );
}

#[test]
fn loop_recur_becomes_a_rust_loop() {
    assert_eq!(
        rust("(defun sum-to:i64 (n:i64) (loop ((i 0) (acc:i64 0)) (if (> i n) acc (recur (+ i 1) (+ acc i)))))"),
        "pub fn sum_to(n: i64) -> i64 {
    let mut i: i64 = 0;
    let mut acc: i64 = 0;
    loop {
        break if i > n {
            acc
        } else {
            let __next_i = ::slight::__rt::checked(i64::checked_add(i, 1));
            let __next_acc = ::slight::__rt::checked(i64::checked_add(acc, i));
            i = __next_i;
            acc = __next_acc;
            continue;
        };
    }
}
"
    );
}

#[test]
fn self_tail_call_inside_a_loop_names_the_function_loop() {
    assert_eq!(
        rust("(defun f:i64 (n:i64) (loop ((i n)) (if (> i 10) (f (- i 20)) (recur (+ i 1)))))"),
        "pub fn f(mut n: i64) -> i64 {
    'tail: loop {
        return {
            let mut i: i64 = n;
            loop {
                break if i > 10 {
                    n = ::slight::__rt::checked(i64::checked_sub(i, 20));
                    continue 'tail;
                } else {
                    i = ::slight::__rt::checked(i64::checked_add(i, 1));
                    continue;
                };
            }
        };
    }
}
"
    );
}

#[test]
fn functions_call_each_other_and_f64_math() {
    assert_eq!(
        rust("(defun sq:f64 (x:f64) (* x x)) (defun half-sum:f64 (a:f64 b:f64) (let ((s (+ (sq a) (sq b)))) (/ s 2)))"),
        "pub fn sq(x: f64) -> f64 {
    x * x
}
pub fn half_sum(a: f64, b: f64) -> f64 {
    let s: f64 = sq(a) + sq(b);
    s / 2.0
}
"
    );
    assert_eq!(
        rust("(defun g:f64 (n:i64 x:f64) (begin (* n -2) (- (- x) (* n 1.5))))"),
        "pub fn g(n: i64, x: f64) -> f64 {
    ::slight::__rt::checked(i64::checked_mul(n, -2));
    -x - n as f64 * 1.5
}
"
    );
}

#[test]
fn bool_logic() {
    assert_eq!(
        rust("(defun xor?:bool (a:bool b:bool) (and (or a b) (not (and a b))))"),
        "pub fn xor__p(a: bool, b: bool) -> bool {
    (a || b) && !(a && b)
}
"
    );
    assert_eq!(
        rust("(defun between?:bool (x:f64 lo:f64 hi:f64) (and (>= x lo) (<= x hi) (!= x 0.5) true))"),
        "pub fn between__p(x: f64, lo: f64, hi: f64) -> bool {
    x >= lo && x <= hi && x != 0.5 && true
}
"
    );
}

#[test]
fn shadowed_names_stay_distinct() {
    assert_eq!(
        rust("(defun s:i64 (n:i64) (let ((n (* n 2))) (if (> n 100) n (s n))))"),
        "pub fn s(mut n: i64) -> i64 {
    loop {
        return {
            let n__1: i64 = ::slight::__rt::checked(i64::checked_mul(n, 2));
            if n__1 > 100 {
                n__1
            } else {
                n = n__1;
                continue;
            }
        };
    }
}
"
    );
}

#[test]
fn signatures_and_a_custom_overflow_hook() {
    let defs = resolved("(defun inc:i64 (n:i64) (+ n 1))");
    let (name, sig) = signature(&defs[0]).expect("typed");
    assert_eq!(name, "inc");
    assert_eq!(sig, FnSig { params: vec![Type::I64], ret: Type::I64 });
    let hook = Reader::read_all("(path rt checked)", 0).expect("reads").remove(0);
    let item = lower_typed_fn(
        &defs[0],
        &Signatures::new(),
        &Options { overflow_hook: hook, depth_hook: None, tick_hook: None },
    )
    .expect("lowers");
    assert_eq!(
        source(&item, Printer::Pretty).expect("prints"),
        "pub fn inc(n: i64) -> i64 {\n    rt::checked(i64::checked_add(n, 1))\n}\n"
    );
}

// ------------------------------------------------------------------------------------------
// Outside the subset: positioned errors
// ------------------------------------------------------------------------------------------

#[test]
fn errors_outside_the_subset() {
    let unsupported = |src: &str, msg: &str, line: u32, col: u32| {
        let (kind, m, l, c) = err(src);
        assert_eq!((kind, m.as_str(), l, c), (ErrorKind::Syntax, msg, line, col), "{src}");
    };
    unsupported(
        "(defun f:i64 (n) n)",
        "not in the typed subset yet: parameter n of f needs a type annotation (i64, f64 or bool)",
        1,
        15,
    );
    unsupported(
        "(defun f:i64 (s:str) 1)",
        "not in the typed subset yet: parameter s of f has type str (only i64, f64 and bool are)",
        1,
        15,
    );
    unsupported(
        "(defun f (n:i64) n)",
        "not in the typed subset yet: the result of f needs a type annotation (i64, f64 or bool)",
        1,
        1,
    );
    unsupported("(defun f:i64 (n:i64)\n  (+ n \"a\"))", "not in the typed subset yet: the constant \"a\"", 2, 8);
    unsupported(
        "(defun f:i64 (n:i64)\n  (print n))",
        "not in the typed subset yet: a call of print, which is not a typed function",
        2,
        4,
    );
    unsupported(
        "(defun f:f64 (x:f64 n:i64) (/ x n))",
        "not in the typed subset yet: / with an i64 divisor (it may be zero)",
        1,
        33,
    );
    unsupported("(defun f:i64 (n:i64) (set! n 1) n)", "not in the typed subset yet: set! of n", 1, 22);
    unsupported("(defun f:i64 (n:i64) (when (> n 1) n))", "not in the typed subset yet: the constant nil", 1, 22);
    unsupported("(def x 1)", "not in the typed subset yet: x is not a function definition", 1, 1);
    unsupported(
        "(+ 1 2)",
        "not in the typed subset yet: only top-level function definitions (defun) are lowered",
        1,
        1,
    );
}

#[test]
fn type_errors() {
    let type_error = |src: &str, msg: &str, line: u32, col: u32| {
        let (kind, m, l, c) = err(src);
        assert_eq!((kind, m.as_str(), l, c), (ErrorKind::Type, msg, line, col), "{src}");
    };
    type_error("(defun f:i64 (x:f64) x)", "f is declared to return i64 but its body gives f64", 1, 22);
    type_error("(defun f:i64 (b:bool) (+ b 1))", "+ needs numbers, got bool", 1, 26);
    type_error("(defun f:i64 (n:i64) (if n 1 2))", "the test of if must be bool, got i64", 1, 26);
    type_error(
        "(defun f:i64 (n:i64) (if (> n 1) 1 2.0))",
        "the branches of if have different types: i64 and f64",
        1,
        22,
    );
    type_error("(defun f:i64 (n:i64) (+ 1 (f 1.0)))", "argument 1 of f must be i64, got f64", 1, 30);
    type_error("(defun f:i64 (n:i64) (f 1.0))", "the new value of n must be i64, got f64", 1, 25);
    type_error("(defun f:i64 (n:i64) (f 1 2))", "f expects 1 arguments, got 2", 1, 22);
    type_error("(defun f:i64 (n:i64) (let ((x:f64 n)) 1))", "x is declared f64 but its value is i64", 1, 35);
}

#[test]
fn depth_budget_splits_a_function_into_a_public_entry_and_a_budgeted_worker() {
    let defs = resolved("(defun fib:i64 (n:i64) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))");
    let hook = slight_core::Reader::read_all("(path hook)", 0).unwrap().remove(0);
    let opts = Options { depth_hook: Some(hook), ..Options::default() };
    let items = slight_core::lower::lower_typed_fn_items(&defs[0], &Signatures::new(), &opts).expect("lowers");
    let text: Vec<String> = items
        .iter()
        .map(|i| slight_core::rust_ast::source(i, slight_core::rust_ast::Printer::Pretty).unwrap())
        .collect();
    assert!(text[0].contains("pub fn fib(n: i64) -> i64 {\n    __nk_fib(n, 64u32)\n}"), "{}", text[0]);
    assert!(text[1].contains("fn __nk_fib(n: i64, __nb: u32) -> i64"), "{}", text[1]);
    assert!(text[1].contains("if __nb == 0 {\n        return hook(|| __nk_fib(n, 64u32));"), "{}", text[1]);
    assert!(text[1].contains("__nk_fib(::slight::__rt::checked(i64::checked_sub(n, 1)), __nb - 1)"), "{}", text[1]);
}

// ------------------------------------------------------------------------------------------
// Speculative lowering of untyped functions
// ------------------------------------------------------------------------------------------

/// Lowers the untyped defuns of `src` speculatively, all assumed `fn(i64...) -> ret`: the
/// pretty Rust of each and the type its body really gives.
fn speculative(src: &str, ret: Type) -> Vec<Result<(String, Option<Type>), String>> {
    use slight_core::core::ExprKind;
    use slight_core::lower::{lower_speculative, Speculation};
    let defs = resolved(src);
    let mut sigs = Signatures::new();
    let mut spec = Speculation { rt: vec!["rt".into()], ..Speculation::default() };
    for d in &defs {
        if let ExprKind::Define { binding, value, .. } = &d.kind {
            if let ExprKind::Lambda(l) = &value.kind {
                sigs.insert(binding.name.clone(), FnSig { params: vec![Type::I64; l.params.len()], ret });
                spec.fns.insert(binding.name.clone(), format!("s_{}", binding.name.replace(['-', '?'], "_")));
            }
        }
    }
    defs.iter()
        .map(|d| match lower_speculative(d, &sigs, &spec) {
            Ok((item, ty)) => {
                let text = source(&item, Printer::Pretty).expect("prints");
                file_from_rust(&text).unwrap_or_else(|e| panic!("{text} does not parse back: {}", e.message));
                // Without the attribute line.
                Ok((text.split_once('\n').map_or(text.clone(), |(_, rest)| rest.to_string()), ty))
            }
            Err(e) => Err(e.message),
        })
        .collect()
}

#[test]
fn speculative_fib_bails_out_instead_of_raising() {
    let out = speculative("(defun fib (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))", Type::I64);
    let (text, ty) = out[0].clone().expect("lowers");
    assert_eq!(ty, Some(Type::I64));
    assert_eq!(
        text,
        "fn s_fib(__nvm: &mut ::rt::Vm, n: i64) -> ::rt::SpecRes<i64> {
    Ok(
        if n < 2 {
            n
        } else {
            ::rt::spec_checked(
                i64::checked_add(
                    {
                        let __nsa0 = ::rt::spec_checked(i64::checked_sub(n, 1))?;
                        ::rt::spec_call(__nvm, move |__nvm| s_fib(__nvm, __nsa0))?
                    },
                    {
                        let __nsa0 = ::rt::spec_checked(i64::checked_sub(n, 2))?;
                        ::rt::spec_call(__nvm, move |__nvm| s_fib(__nvm, __nsa0))?
                    },
                ),
            )?
        },
    )
}
"
    );
}

#[test]
fn speculative_loops_count_rounds_against_the_time_slice() {
    let out = speculative("(defun count (i acc) (if (== i 0) acc (count (- i 1) (+ acc i))))", Type::I64);
    let (text, _) = out[0].clone().expect("lowers");
    assert!(
        text.contains("fn s_count(__nvm: &mut ::rt::Vm, mut i: i64, mut acc: i64) -> ::rt::SpecRes<i64>"),
        "{text}"
    );
    assert!(text.contains("loop {\n        let _ = ::rt::spec_tick(__nvm)?;\n        return Ok("), "{text}");
    let out =
        speculative("(defun sum (n) (loop ((i 0) (acc 0)) (if (> i n) acc (recur (+ i 1) (+ acc i)))))", Type::I64);
    let (text, _) = out[0].clone().expect("lowers");
    assert!(text.contains("loop {\n            let _ = ::rt::spec_tick(__nvm)?;\n            break"), "{text}");
}

#[test]
fn speculative_lowering_reports_the_type_the_body_gives() {
    let out =
        speculative("(defun small? (n) (< n 10))\n(defun half (n) (/ n 2))\n(defun spin (n) (spin n))", Type::I64);
    assert_eq!(out[0].clone().expect("lowers").1, Some(Type::Bool));
    assert_eq!(out[1].clone().expect("lowers").1, Some(Type::F64));
    // A body that never returns (only self tail calls) gives no type.
    assert_eq!(out[2].clone().expect("lowers").1, None);
}

#[test]
fn speculative_lowering_refuses_what_is_outside_the_subset() {
    for src in [
        "(defun f (n) (print n))",
        "(defun f (n) \"text\")",
        "(defun f (n) (if (< n 0) 0.5 n))",
        "(defun f (n) (if n 1 2))",
        "(defun f (n) (set! n 2))",
        "(defun f (n) (fun (x) x))",
        "(defun f (n) (/ 1 n))",
    ] {
        assert!(speculative(src, Type::I64)[0].is_err(), "{src}");
    }
}

// ------------------------------------------------------------------------------------------
// Closure inlining before specialization
// ------------------------------------------------------------------------------------------

/// Inlines the closures of the last definition of `src` (every top-level function known):
/// its printed Core Form, the constructors used and the inlining depth; `None` if refused.
fn inlined(src: &str) -> Option<(String, Vec<String>, u32)> {
    use slight_core::lower::inline::{closure_constructors, inline_closures};
    let defs = resolved(src);
    let ctors = closure_constructors(defs.iter(), &|_| true);
    let x = inline_closures(defs.last().expect("a definition"), &ctors)?;
    let text = slight_core::core::print::to_string(&x.def);
    Some((text.split_whitespace().collect::<Vec<_>>().join(" "), x.uses, x.depth))
}

const ADDER: &str = "(defun make-adder (n) (fun (x) (+ x n)))\n(defun compose (f g) (fun (x) (f (g x))))\n";

#[test]
fn inlining_removes_closures_that_are_only_called() {
    let (text, uses, depth) =
        inlined(&format!("{ADDER}(defun twice (i) (let ((h (make-adder i))) (h (h 1))))")).expect("inlines");
    assert_eq!(uses, ["make-adder"]);
    assert_eq!(depth, 1);
    assert_eq!(
        text,
        "(define twice (lambda twice (i#1) (let ((n#2 i#1)) \
         (let ((x#4 (let ((x#3 '1)) (prim + x#3 n#2)))) (prim + x#4 n#2)))))"
    );
    // Closures passed to a constructor, and lets floated out of the value of `h`.
    let (text, uses, depth) =
        inlined(&format!("{ADDER}(defun loop2 (i acc) (let ((h (compose (make-adder i) (make-adder 1)))) (h (h i))))"))
            .expect("inlines");
    assert_eq!(uses, ["compose", "make-adder"]);
    assert_eq!(depth, 2);
    assert!(text.starts_with("(define loop2 (lambda loop2 (i#1 acc#2) (let ((n#3 i#1) (n#4 '1)) (let ((x#"), "{text}");
    assert!(!text.contains("lambda (x"), "no closure is left: {text}");
    // A lambda called where it is written.
    let (text, uses, _) = inlined("(defun f (n) ((fun (a b) (- a b)) n 3))").expect("inlines");
    assert!(uses.is_empty());
    assert_eq!(text, "(define f (lambda f (n#1) (let ((a#2 n#1) (b#3 '3)) (prim - a#2 b#3))))");
}

#[test]
fn inlining_refuses_closures_used_as_values_and_real_calls_inside() {
    for body in [
        // nothing to inline
        "(+ i 1)",
        // the closure escapes: a value, an argument of a real call, the result
        "(let ((h (make-adder i))) (list (h 1) h))",
        "(print (make-adder i))",
        "(make-adder i)",
        "(let ((h (if (< i 0) (make-adder 1) (make-adder 2)))) (h 1))",
        // an inlined body that makes a real call
        "((fun (x) (print x)) i)",
        // assignment, wrong arity, self application
        "(let ((c 0) (inc (fun (k) (set! c k)))) (inc i))",
        "((make-adder i) 1 2)",
        "(let ((f (fun (g k) (g g k)))) (f f i))",
    ] {
        assert_eq!(inlined(&format!("{ADDER}(defun f (i) {body})")), None, "{body}");
    }
}

#[test]
fn inlined_functions_are_specialized_with_a_frame_reserve() {
    use slight_core::lower::inline::{closure_constructors, inline_closures};
    use slight_core::lower::{lower_speculative, Speculation};
    let defs = resolved(&format!("{ADDER}(defun f (i) ((compose (make-adder i) (make-adder 1)) i))"));
    let ctors = closure_constructors(defs.iter(), &|_| true);
    let mut x = inline_closures(&defs[2], &ctors).expect("inlines");
    resolve_toplevel(&mut x.def, &mut GlobalNames::new(), None).expect("resolves");
    let mut spec = Speculation { rt: vec!["rt".into()], ..Speculation::default() };
    spec.fns.insert("f".into(), "s_f".into());
    spec.reserve.insert("f".into(), x.depth);
    let sigs: Signatures = [("f".to_string(), FnSig { params: vec![Type::I64], ret: Type::I64 })].into();
    let (item, ty) = lower_speculative(&x.def, &sigs, &spec).expect("lowers");
    assert_eq!(ty, Some(Type::I64));
    let text = source(&item, Printer::Pretty).expect("prints");
    assert!(text.contains("let _ = ::rt::spec_reserve(__nvm, 2usize)?;"), "{text}");
    assert!(!text.contains("spec_call"), "{text}");
}

// ------------------------------------------------------------------------------------------
// Dynamic lowering: last-use moves into `string/concat`
// ------------------------------------------------------------------------------------------

/// The pretty Rust of function `code` (`__n_fn2` for the first defun, after its form) in the dynamic lowering of `src` (a
/// whole program; functions are not declared known, so each has the generic entry only).
fn dynamic_fn(src: &str, code: &str) -> String {
    use slight_core::lower::dynamic::{Mode, Options as DynOptions, ProgramLowering};
    let mut globals = GlobalNames::new();
    let mut lw = ProgramLowering::new(DynOptions {
        mode: Mode::Program,
        rt: vec!["slight".into(), "__rt".into()],
        rust_vars: Default::default(),
        typed: Signatures::new(),
    });
    lw.add_file(0, "t.sl", src);
    for form in Reader::read_all(src, 0).expect("reads") {
        let mut e = expand(&form, &mut NoMacros).expect("expands");
        let info = resolve_toplevel(&mut e, &mut globals, None).expect("resolves");
        lw.add_form(&e, &info).expect("lowers");
    }
    let file = lw.finish().expect("finishes");
    let text = source(&file, Printer::Pretty).expect("prints");
    let start = text.find(&format!("fn {code}(")).unwrap_or_else(|| panic!("no {code} in\n{text}"));
    let start = text[..start].rfind("#[allow(").expect("attributes");
    let end = start + text[start..].find("\n}\n").expect("end of the function") + 3;
    text[start..end].to_string()
}

/// The function's body, after its attributes and signature.
fn body(f: &str) -> &str {
    let i = f.find(") -> ::slight::__rt::Res {\n").expect("a code function");
    &f[i + ") -> ::slight::__rt::Res {\n".len()..]
}

#[test]
fn recur_moves_the_accumulator_into_string_concat() {
    let f = dynamic_fn(
        "(defun build (n) (loop ((i 0) (acc \"\")) (if (== i n) acc (recur (+ i 1) (string/concat acc \"x\" i)))))",
        "__n_fn2",
    );
    assert_eq!(
        body(&f),
        "    let mut n__0: ::slight::__rt::Value = args[0].clone();
    let mut i__1: ::slight::__rt::Value = ::slight::__rt::Value::Nil;
    let mut acc__2: ::slight::__rt::Value = ::slight::__rt::Value::Nil;
    Ok({
        i__1 = ::slight::__rt::int(0);
        acc__2 = ::slight::__rt::konst(vm, &__n_MODULE, 0);
        '__nl__nt1: loop {
            let _ = ::slight::__rt::tick(vm)?;
            break '__nl__nt1 if ::slight::__rt::eq(&i__1, &n__0) {
                acc__2.clone()
            } else {
                {
                    let __nt2 = ::slight::__rt::at(
                        ::slight::__rt::add_i(&i__1, 1),
                        vm,
                        &__n_MODULE,
                        0,
                    )?;
                    let __nt5 = {
                        let __nt3 = ::std::mem::take(&mut acc__2);
                        let __nt4 = i__1.clone();
                        ::slight::__rt::at(
                            ::slight::__rt::concat_owned(
                                vm,
                                &__n_MODULE,
                                0,
                                __nt3,
                                &[
                                    ::slight::__rt::Part::Const(1),
                                    ::slight::__rt::Part::Value(__nt4),
                                ],
                            ),
                            vm,
                            &__n_MODULE,
                            1,
                        )?
                    };
                    i__1 = __nt2;
                    acc__2 = __nt5;
                    continue '__nl__nt1;
                }
            };
        }
    })
}
"
    );
}

#[test]
fn self_tail_call_moves_the_accumulator_parameter() {
    let f = dynamic_fn("(defun build (i acc) (if (== i 3) acc (build (+ i 1) (string/concat acc i))))", "__n_fn2");
    assert_eq!(
        body(&f),
        "    let mut i__0: ::slight::__rt::Value = args[0].clone();
    let mut acc__1: ::slight::__rt::Value = args[1].clone();
    Ok(
        '__ntop: loop {
            let _ = ::slight::__rt::tick(vm)?;
            break '__ntop if ::slight::__rt::eq(&i__0, &::slight::__rt::int(3)) {
                acc__1.clone()
            } else {
                {
                    let __nt1 = ::slight::__rt::at(
                        ::slight::__rt::add_i(&i__0, 1),
                        vm,
                        &__n_MODULE,
                        0,
                    )?;
                    let __nt4 = {
                        let __nt2 = ::std::mem::take(&mut acc__1);
                        let __nt3 = i__0.clone();
                        ::slight::__rt::at(
                            ::slight::__rt::concat_owned(
                                vm,
                                &__n_MODULE,
                                0,
                                __nt2,
                                &[::slight::__rt::Part::Value(__nt3)],
                            ),
                            vm,
                            &__n_MODULE,
                            1,
                        )?
                    };
                    let __nt5 = __nt1;
                    let __nt6 = __nt4;
                    if ::slight::__rt::global_is_fn(vm, &__n_MODULE, 1, &__n_INFO2) {
                        i__0 = __nt5;
                        acc__1 = __nt6;
                        continue '__ntop;
                    } else {
                        ::slight::__rt::tail_call_global(
                            vm,
                            &__n_MODULE,
                            1,
                            Vec::from([__nt5, __nt6]),
                        )?
                    }
                }
            };
        },
    )
}
"
    );
}

#[test]
fn an_accumulator_mentioned_twice_is_cloned() {
    let f = dynamic_fn(
        "(defun build (n) (loop ((i 0) (acc \"\")) (if (== i n) acc (recur (+ i 1) (string/concat acc acc)))))",
        "__n_fn2",
    );
    let b = body(&f);
    assert!(
        b.contains(
            "                    let __nt5 = {
                        let __nt3 = acc__2.clone();
                        let __nt4 = acc__2.clone();
                        ::slight::__rt::at(
                            ::slight::__rt::call_global(
                                vm,
                                &__n_MODULE,
                                0,
                                &[__nt3, __nt4],
                            ),
                            vm,
                            &__n_MODULE,
                            1,
                        )?
                    };
                    i__1 = __nt2;
                    acc__2 = __nt5;"
        ),
        "{b}"
    );
}

#[test]
fn only_a_single_unshared_last_use_moves() {
    let build =
        |args: &str| format!("(defun build (n) (loop ((i 0) (acc \"\") (seen ())) (if (== i n) acc (recur {args}))))");
    // Moves: the one mention of a loop variable, first argument of string/concat.
    for src in [
        build("(+ i 1) (string/concat acc i) seen"),
        build("(+ i 1) (if (> i 2) (string/concat acc i) \"\") seen"),
        build("(+ i 1) (string/concat acc (string/concat \"<\" i)) seen"),
        // `seen` is the one moved here (`acc` is not the first argument).
        build("(+ i 1) \"\" (string/concat seen acc)"),
        // A self tail call inside a loop loops too: it reassigns the parameters.
        "(defun build (acc) (loop ((i 0)) (build (string/concat acc i))))".to_string(),
    ] {
        assert!(dynamic_fn(&src, "__n_fn2").contains("::std::mem::take(&mut "), "{src}");
    }
    // No moves: a second mention (also in another argument, also a set!), a closure capturing
    // it, a nested loop that could evaluate it more than once, an eval, not the first
    // argument, another function than string/concat, a variable the recur does not assign,
    // a self tail call that is not a loop.
    for src in [
        build("(+ i 1) (string/concat acc i) (cons acc seen)"),
        build("(+ i 1) (string/concat acc (do (set! acc \"?\") i)) seen"),
        build("(+ i 1) (string/concat acc i) (lambda () acc)"),
        build("(+ i 1) (loop ((k 0)) (if (> k 1) (string/concat acc k) (recur (+ k 1)))) seen"),
        build("(+ i 1) (string/concat acc (eval 'i)) seen"),
        build("(+ i 1) (string/concat \"<\" acc) seen"),
        build("(+ i 1) (list/append acc i) seen"),
        "(defun build (n acc) (loop ((i 0)) (if (== i n) acc (recur (string/concat acc i)))))".to_string(),
        // A self tail call that does not loop: another number of arguments.
        "(defun build (acc) (build (string/concat acc 1) 2))".to_string(),
    ] {
        let text = dynamic_fn(&src, "__n_fn2");
        assert!(!text.contains("mem::take") && !text.contains("concat_owned"), "{src}:\n{text}");
    }
}

#[test]
fn constructors_with_a_declared_result_type_are_not_inlined() {
    let src = "(defun make:fn (n) (fun (x) (+ x n)))\n(defun f (i) ((make i) 1))";
    assert_eq!(inlined(src), None);
}
