//! Unit tests of the front end after the reader: the expander (every special form and piece of
//! sugar lowered to Core Forms, syntax errors with their messages and positions, user macros
//! through a fake `MacroHost`: fixed-point expansion and the depth limits) and the resolver
//! (slots, captures, cells, globals, tail flags, `eval` environments, `e.message` field access,
//! `recur` checks).

use slight_core::core::print::to_string;
use slight_core::core::{CaptureFrom, Expr, ExprKind, FnInfo, Lambda, Pattern, Prim, Type, VarRef};
use slight_core::error::{ErrorKind, Result, SlightError};
use slight_core::expander::{expand, MacroHost, NoMacros, MACRO_DEPTH_LIMIT, MAX_NESTING, MAX_RUNNING_MACROS};
use slight_core::resolver::{resolve_toplevel, EvalEnv};
use slight_core::{GlobalNames, Reader, Sexp, SexpKind, Span};
use std::collections::HashMap;

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

fn read1(src: &str) -> Sexp {
    let mut forms = Reader::read_all(src, 0).expect("test source reads");
    assert_eq!(forms.len(), 1, "one form expected in {src:?}");
    forms.remove(0)
}

/// Expands with no macros.
fn expand_src(src: &str) -> Expr {
    expand(&read1(src), &mut NoMacros).unwrap_or_else(|e| panic!("expanding {src:?}: {}", e.message))
}

/// The printed Core Form on one line (whitespace collapsed).
fn compact(e: &Expr) -> String {
    to_string(e).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The expansion of `src`, printed on one line.
fn core(src: &str) -> String {
    compact(&expand_src(src))
}

fn expand_err(src: &str) -> SlightError {
    match expand(&read1(src), &mut NoMacros) {
        Ok(e) => panic!("expected a syntax error for {src:?}, got {}", compact(&e)),
        Err(e) => e,
    }
}

/// (message, line, column) of the syntax error `src` gives.
fn err_at(src: &str) -> (String, u32, u32) {
    let e = expand_err(src);
    assert_eq!(e.kind, ErrorKind::Syntax, "{src:?}");
    (e.message, e.span.line, e.span.col)
}

fn resolve_with(src: &str, globals: &mut GlobalNames) -> Result<(Expr, FnInfo)> {
    let mut e = expand(&read1(src), &mut NoMacros)?;
    let info = resolve_toplevel(&mut e, globals, None)?;
    Ok((e, info))
}

fn resolve(src: &str) -> (Expr, FnInfo) {
    resolve_with(src, &mut GlobalNames::new()).unwrap_or_else(|e| panic!("resolving {src:?}: {}", e.message))
}

/// The resolved form printed on one line.
fn resolved(src: &str) -> String {
    compact(&resolve(src).0)
}

fn resolve_err(src: &str) -> (String, u32, u32) {
    match resolve_with(src, &mut GlobalNames::new()) {
        Ok((e, _)) => panic!("expected a resolver error for {src:?}, got {}", compact(&e)),
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Syntax);
            (e.message, e.span.line, e.span.col)
        }
    }
}

/// The lambda a form defines or is (looking through `define`).
fn lambda_of(e: &Expr) -> &Lambda {
    match &e.kind {
        ExprKind::Define { value, .. } => lambda_of(value),
        ExprKind::Lambda(l) | ExprKind::DefMacro(_, l) => l,
        ExprKind::Seq(items) => items.iter().find_map(|i| try_lambda(i)).expect("a lambda in the sequence"),
        _ => panic!("no lambda in {}", compact(e)),
    }
}

fn try_lambda(e: &Expr) -> Option<&Lambda> {
    match &e.kind {
        ExprKind::Define { value, .. } => try_lambda(value),
        ExprKind::Lambda(l) => Some(l),
        _ => None,
    }
}

/// `f@global3` → `f@global`: global indices depend on what was interned first.
fn without_global_indices(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("@global") {
        out.push_str(&rest[..i + "@global".len()]);
        rest = rest[i + "@global".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

fn s(text: &str) -> String {
    text.to_string()
}

fn local<'a>(info: &'a FnInfo, name: &str) -> &'a slight_core::core::LocalInfo {
    info.locals.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no local {name} in {info:?}"))
}

/// Every `Eval` node of an expression tree (not descending into lambdas).
fn evals(e: &Expr) -> Vec<&Vec<(String, VarRef)>> {
    let mut out = Vec::new();
    fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Vec<(String, VarRef)>>) {
        match &e.kind {
            ExprKind::Eval(form, env) => {
                out.push(env);
                walk(form, out);
            }
            ExprKind::Seq(items) | ExprKind::Prim(_, items) | ExprKind::And(items) | ExprKind::Or(items) => {
                items.iter().for_each(|i| walk(i, out))
            }
            ExprKind::Let(b, body) | ExprKind::Loop(b, body) => {
                b.iter().for_each(|(_, i)| walk(i, out));
                walk(body, out);
            }
            ExprKind::If(a, b, c) => {
                walk(a, out);
                walk(b, out);
                walk(c, out);
            }
            ExprKind::Call(f, args) => {
                walk(f, out);
                args.iter().for_each(|i| walk(i, out));
            }
            ExprKind::Set { value, .. } | ExprKind::Define { value, .. } | ExprKind::Throw(value) => walk(value, out),
            _ => {}
        }
    }
    walk(e, &mut out);
    out
}

// ------------------------------------------------------------------------------------------
// A fake macro host
// ------------------------------------------------------------------------------------------

type MacroFn = Box<dyn FnMut(&[Sexp], Span) -> Result<Sexp>>;

/// Macros are Rust closures from the argument forms to the expansion; every call is recorded.
#[derive(Default)]
struct FakeHost {
    macros: HashMap<String, MacroFn>,
    calls: Vec<(String, Vec<String>, Span)>,
}

impl FakeHost {
    fn with(mut self, name: &str, f: impl FnMut(&[Sexp], Span) -> Result<Sexp> + 'static) -> Self {
        self.macros.insert(name.to_string(), Box::new(f));
        self
    }
    fn call_names(&self) -> Vec<&str> {
        self.calls.iter().map(|(n, _, _)| n.as_str()).collect()
    }
}

impl MacroHost for FakeHost {
    fn is_macro(&self, name: &str) -> bool {
        self.macros.contains_key(name)
    }
    fn expand_macro(&mut self, name: &str, args: &[Sexp], span: Span) -> Result<Sexp> {
        self.calls.push((name.to_string(), args.iter().map(|a| a.to_string()).collect(), span));
        let f = self.macros.get_mut(name).expect("expander asks is_macro first");
        f(args, span)
    }
}

fn sym(name: &str, span: Span) -> Sexp {
    Sexp::sym(name, span)
}

fn int(i: i64, span: Span) -> Sexp {
    Sexp::new(SexpKind::Int(i), span)
}

fn int_of(s: &Sexp) -> i64 {
    match s.kind {
        SexpKind::Int(i) => i,
        _ => panic!("not an integer: {s}"),
    }
}

/// `(deep n)` → `(deep n-1)` → … → `(deep 0)` → `42`: `n + 1` expansions in a chain.
fn deep_host() -> FakeHost {
    FakeHost::default().with("deep", |args, span| {
        let n = int_of(&args[0]);
        Ok(if n == 0 { int(42, span) } else { Sexp::list(vec![sym("deep", span), int(n - 1, span)], span) })
    })
}

/// `(e args...)` expanded with `host`, printed on one line.
fn expand_with(src: &str, host: &mut FakeHost) -> Result<String> {
    expand(&read1(src), host).map(|e| compact(&e))
}

// ------------------------------------------------------------------------------------------
// Definitions
// ------------------------------------------------------------------------------------------

#[test]
fn defun_is_a_define_of_a_named_lambda() {
    assert_eq!(core("(defun f (a b) (+ a b))"), "(define f (lambda f (a b) (call + a b)))");
    assert_eq!(core("(def g (a) a)"), "(define g (lambda g (a) a))");
    // Several body forms become a sequence.
    assert_eq!(core("(defun f () (print 1) 2)"), "(define f (lambda f () (seq (call print '1) '2)))");
    // Three elements: a value definition (compat), even when the value looks like `()`.
    assert_eq!(core("(defun f ())"), "(define f '())", "3 elements: a value (compat)");
    // An empty body is nil.
    assert_eq!(core("(fun ())"), "(lambda _ () 'nil)");
    assert_eq!(core("(defun f () nil)"), "(define f (lambda f () 'nil))");
    // `nil` as the parameter list.
    assert_eq!(core("(defun f nil 1)"), "(define f (lambda f () '1))");
}

#[test]
fn three_element_defun_and_def_define_a_value() {
    assert_eq!(core("(defun x 5)"), "(define x '5)");
    assert_eq!(core("(def x (+ 1 2))"), "(define x (call + '1 '2))");
    assert_eq!(core("(defvar y 1)"), "(define y '1)");
    // A name alone binds nil.
    assert_eq!(core("(def x)"), "(define x 'nil)");
    assert_eq!(core("(defun f)"), "(define f 'nil)");
    // The value is evaluated code, not a parameter list.
    let e = expand_src("(defun x (list 1 2))");
    let ExprKind::Define { value, .. } = &e.kind else { panic!() };
    assert!(matches!(value.kind, ExprKind::Call(..)), "{}", compact(&e));
}

#[test]
fn defvar_never_defines_a_function() {
    assert_eq!(err_at("(defvar z (a) a)"), (s("defvar expects a name and one value"), 1, 1));
    assert_eq!(err_at("(defvar x 1 2)"), (s("defvar expects a name and one value"), 1, 1));
}

#[test]
fn typed_names() {
    // On a function name the type is the return type; the binding itself is untyped.
    let e = expand_src("(defun f:i64 (a:i64 b:f64 c) a)");
    let ExprKind::Define { binding, .. } = &e.kind else { panic!() };
    assert_eq!(binding.name, "f");
    assert_eq!(binding.ty, None);
    let l = lambda_of(&e);
    assert_eq!(l.name.as_deref(), Some("f"));
    assert_eq!(l.ret, Some(Type::I64));
    let params: Vec<_> = l.params.iter().map(|p| (p.name.as_str(), p.ty)).collect();
    assert_eq!(params, [("a", Some(Type::I64)), ("b", Some(Type::F64)), ("c", None)]);
    assert_eq!(core("(defun f:i64 (a:i64) a)"), "(define f (lambda f (a:i64) :ret i64 a))");

    // On a value definition it is the variable's type.
    let e = expand_src("(def x:str \"s\")");
    let ExprKind::Define { binding, .. } = &e.kind else { panic!() };
    assert_eq!((binding.name.as_str(), binding.ty), ("x", Some(Type::Str)));

    // Every type name and the aliases.
    for (text, ty) in [
        ("i64", Type::I64),
        ("int", Type::I64),
        ("f64", Type::F64),
        ("float", Type::F64),
        ("bool", Type::Bool),
        ("str", Type::Str),
        ("string", Type::Str),
        ("list", Type::List),
        ("map", Type::Map),
        ("fn", Type::Fn),
        ("any", Type::Any),
    ] {
        let e = expand_src(&format!("(let ((v:{text} 1)) v)"));
        let ExprKind::Let(bindings, _) = &e.kind else { panic!() };
        assert_eq!(bindings[0].0.ty, Some(ty), "{text}");
        assert_eq!(bindings[0].0.name, "v");
    }
}

#[test]
fn dotted_parameter_lists() {
    let e = expand_src("(defun f (a b . rest) rest)");
    let l = lambda_of(&e);
    assert_eq!(l.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(l.rest.as_ref().map(|r| r.name.as_str()), Some("rest"));
    assert_eq!(core("(defun f (a b . rest) rest)"), "(define f (lambda f (a b . rest) rest))");
    // Only a rest parameter.
    let e = expand_src("(fun (. args) args)");
    let l = lambda_of(&e);
    assert!(l.params.is_empty());
    assert_eq!(l.rest.as_ref().map(|r| r.name.as_str()), Some("args"));
    // A typed rest parameter.
    let e = expand_src("(fun (a . r:list) r)");
    assert_eq!(lambda_of(&e).rest.as_ref().and_then(|r| r.ty), Some(Type::List));
}

#[test]
fn fun_and_lambda_are_anonymous_functions() {
    assert_eq!(core("(fun (a . r) r)"), "(lambda _ (a . r) r)");
    assert_eq!(core("(lambda () 1)"), "(lambda _ () '1)");
    assert_eq!(core("(lambda (x) (print x) x)"), "(lambda _ (x) (seq (call print x) x))");
    assert_eq!(lambda_of(&expand_src("(fun (x) x)")).name, None);
}

// ------------------------------------------------------------------------------------------
// Binding forms, conditionals, sequencing
// ------------------------------------------------------------------------------------------

#[test]
fn let_and_loop() {
    assert_eq!(core("(let ((a 1) (b a)) (+ a b))"), "(let ((a '1) (b a)) (call + a b))");
    // `(name)` and a bare `name` bind nil; several body forms are a sequence.
    assert_eq!(core("(let ((a 1) c (d)) a c)"), "(let ((a '1) (c 'nil) (d 'nil)) (seq a c))");
    assert_eq!(core("(let () 1)"), "(let () '1)");
    assert_eq!(core("(let nil 1)"), "(let () '1)");
    assert_eq!(core("(let ((a 1)))"), "(let ((a '1)) 'nil)");
    assert_eq!(
        core("(loop ((i 0) (acc ())) (if (< i 3) (recur (+ i 1) (cons i acc)) acc))"),
        "(loop ((i '0) (acc '())) (if (call < i '3) (recur (call + i '1) (call cons i acc)) acc))"
    );
    assert_eq!(core("(loop ((i 0)))"), "(loop ((i '0)) 'nil)");
    // `recur` is expanded anywhere; the resolver checks where it stands.
    assert_eq!(core("(recur 1 2)"), "(recur '1 '2)");
}

#[test]
fn if_when_unless() {
    assert_eq!(core("(if a b c)"), "(if a b c)");
    assert_eq!(core("(if a b)"), "(if a b 'nil)");
    assert_eq!(core("(when a b c)"), "(if a (seq b c) 'nil)");
    assert_eq!(core("(when a)"), "(if a 'nil 'nil)");
    assert_eq!(core("(unless a b)"), "(if a 'nil b)");
    assert_eq!(core("(unless a b c)"), "(if a 'nil (seq b c))");
}

#[test]
fn cond_becomes_nested_ifs() {
    assert_eq!(core("(cond (a 1) (b 2 3) (else 4))"), "(if a '1 (if b (seq '2 '3) '4))");
    // `:else` works like `else`; clauses after it are never reached.
    assert_eq!(core("(cond (a 1) (:else 2) (c 3))"), "(if a '1 '2)");
    // No clause matches: false (compat), not nil.
    assert_eq!(core("(cond (a 1))"), "(if a '1 'false)");
    assert_eq!(core("(cond)"), "'false");
    // A clause with only a test gives the test's value.
    assert_eq!(core("(cond (a 1) (b) (else 3))"), "(if a '1 (or b '3))");
    assert_eq!(core("(cond (a))"), "(or a 'false)");
    // An `else` with no body is nil.
    assert_eq!(core("(cond (else))"), "'nil");
}

#[test]
fn long_cond_is_flattened_into_a_guarded_match() {
    let clauses: String = (0..20).map(|i| format!("((== x {i}) {i}) ")).collect();
    let e = expand_src(&format!("(cond {clauses})"));
    let ExprKind::Match(value, arms) = &e.kind else { panic!("{}", compact(&e)) };
    assert!(matches!(&value.kind, ExprKind::Const(s) if matches!(s.kind, SexpKind::Nil)));
    assert_eq!(arms.len(), 21, "20 guarded clauses and the no-match clause");
    assert!(arms[..20].iter().all(|a| matches!(a.pattern, Pattern::Wildcard) && a.guard.is_some()));
    let last = &arms[20];
    assert!(last.guard.is_none());
    assert_eq!(compact(&last.body), "'false");

    // With an `else`: it is the last clause, and nothing is added after it.
    let e = expand_src(&format!("(cond {clauses} (else 99) (never 1))"));
    let ExprKind::Match(_, arms) = &e.kind else { panic!() };
    assert_eq!(arms.len(), 21);
    assert_eq!(compact(&arms[20].body), "'99");

    // A test-only clause keeps its value: `(or test <the rest of the cond>)`.
    let e = expand_src(&format!("(cond {clauses} (y) (else 99))"));
    let ExprKind::Match(_, arms) = &e.kind else { panic!() };
    assert_eq!(arms.len(), 21);
    assert_eq!(compact(&arms[20].body), "(or y '99)");
}

#[test]
fn and_or_begin_do() {
    assert_eq!(core("(and)"), "(and)");
    assert_eq!(core("(and a b c)"), "(and a b c)");
    assert_eq!(core("(or)"), "(or)");
    assert_eq!(core("(or a (f b))"), "(or a (call f b))");
    assert_eq!(core("(begin)"), "'nil");
    assert_eq!(core("(begin 1)"), "'1");
    assert_eq!(core("(begin 1 2)"), "(seq '1 '2)");
    assert_eq!(core("(do 1 2)"), "(seq '1 '2)");
}

#[test]
fn set_throw_quote_calls_and_atoms() {
    assert_eq!(core("(set! x (+ x 1))"), "(set! x (call + x '1))");
    assert_eq!(core("(throw \"boom\")"), "(throw '\"boom\")");
    assert_eq!(core("(quote (a . b))"), "'(a . b)");
    assert_eq!(core("'x"), "'x");
    assert_eq!(core("'(1 \"two\" :three)"), "'(1 \"two\" :three)");
    assert_eq!(core("(f 1 2)"), "(call f '1 '2)");
    assert_eq!(core("((f) x)"), "(call (call f) x)");
    assert_eq!(core("()"), "'()");
    assert_eq!(core("42"), "'42");
    assert_eq!(core(":k"), "':k");
    assert_eq!(core("\"s\""), "'\"s\"");
    assert_eq!(core("nil"), "'nil");
    assert_eq!(core("x"), "x");
}

// ------------------------------------------------------------------------------------------
// try / catch / finally
// ------------------------------------------------------------------------------------------

#[test]
fn try_in_every_legal_combination() {
    assert_eq!(core("(try)"), "(try 'nil)");
    assert_eq!(core("(try a)"), "(try a)");
    assert_eq!(core("(try a b)"), "(try (seq a b))");
    assert_eq!(core("(try a (catch e c))"), "(try a (catch e c))");
    assert_eq!(core("(try a b (catch e c d))"), "(try (seq a b) (catch e (seq c d)))");
    assert_eq!(core("(try a (finally f))"), "(try a (finally f))");
    assert_eq!(core("(try a (finally f g))"), "(try a (finally (seq f g)))");
    assert_eq!(core("(try a (catch e c) (finally f))"), "(try a (catch e c) (finally f))");
    // Empty handler and cleanup bodies are nil.
    assert_eq!(core("(try a (catch e))"), "(try a (catch e 'nil))");
    assert_eq!(core("(try a (finally))"), "(try a (finally 'nil))");
    assert_eq!(core("(try (catch e 1))"), "(try 'nil (catch e '1))");
    // A typed catch binding.
    let e = expand_src("(try a (catch e:str e))");
    let ExprKind::Try { catch: Some((b, _)), finally: None, .. } = &e.kind else { panic!() };
    assert_eq!((b.name.as_str(), b.ty), ("e", Some(Type::Str)));
}

#[test]
fn try_clauses_in_the_wrong_place() {
    let msg = s("catch and finally must come last in try, catch before finally");
    assert_eq!(err_at("(try (finally f) (catch e c))"), (msg.clone(), 1, 6));
    assert_eq!(err_at("(try 1 (catch e 1) (catch e 2))"), (msg.clone(), 1, 8));
    assert_eq!(err_at("(try 1 (finally 1) (finally 2))"), (msg.clone(), 1, 8));
    assert_eq!(err_at("(try 1 (finally 2) 3)"), (msg.clone(), 1, 8));
    assert_eq!(err_at("(try\n  1\n  (catch e 2)\n  3)"), (msg, 3, 3));
    assert_eq!(err_at("(try (catch))"), (s("catch expects a name for the error"), 1, 6));
    assert_eq!(err_at("(try 1 (catch 5 x))"), (s("expected a name, got 5"), 1, 15));
}

// ------------------------------------------------------------------------------------------
// match
// ------------------------------------------------------------------------------------------

#[test]
fn match_patterns() {
    assert_eq!(
        core("(match v (1 a) (\"s\" b) (:k c) (nil d) (true e) (1.5 f) (_ g))"),
        "(match v ('1 a) ('\"s\" b) (':k c) ('nil d) ('true e) ('1.5 f) (_ g))"
    );
    assert_eq!(core("(match v (x x))"), "(match v (x x))");
    assert_eq!(
        core("(match v ((list a b) a) ((a b) b) ((list) 0) (() 0))"),
        "(match v ((list a b) a) ((list a b) b) ((list ) '0) ((list ) '0))"
    );
    assert_eq!(core("(match v ((a . rest) rest) ((a b . _) a))"), "(match v ((a . rest) rest) ((a b . _) a))");
    assert_eq!(core("(match v ('sym 1) ('(1 2) 2))"), "(match v ('sym '1) ('(1 2) '2))");
    // Nested patterns.
    assert_eq!(core("(match v ((list (a . r) 'k _) r))"), "(match v ((list (a . r) 'k _) r))");
    // Bodies: several forms are a sequence, none is nil.
    assert_eq!(core("(match v (x (print x) x) (_))"), "(match v (x (seq (call print x) x)) (_ 'nil))");
    // No clauses at all (a run-time MatchError for every value).
    assert_eq!(core("(match v)"), "(match v)");
}

#[test]
fn match_pattern_structure() {
    let e = expand_src("(match v ((a:i64 . rest) a) ('x 1) (:when 2))");
    let ExprKind::Match(_, clauses) = &e.kind else { panic!() };
    let Pattern::Cons(items, rest) = &clauses[0].pattern else { panic!() };
    let Pattern::Bind(a) = &items[0] else { panic!() };
    assert_eq!((a.name.as_str(), a.ty), ("a", Some(Type::I64)));
    assert!(matches!(&**rest, Pattern::Bind(r) if r.name == "rest"));
    assert!(matches!(&clauses[1].pattern, Pattern::Literal(s) if s.is_sym("x")));
    // A keyword pattern is a literal even when it is `:when`.
    assert!(
        matches!(&clauses[2].pattern, Pattern::Literal(s) if matches!(&s.kind, SexpKind::Keyword(k) if k == "when"))
    );
    assert!(clauses[2].guard.is_none());
}

#[test]
fn match_guards() {
    assert_eq!(
        core("(match v (n :when (> n 1) (print n) n) (_ 0))"),
        "(match v (n :when (call > n '1) (seq (call print n) n)) (_ '0))"
    );
    // A guard with no body: the body is nil.
    let e = expand_src("(match v (n :when (> n 1)))");
    let ExprKind::Match(_, clauses) = &e.kind else { panic!() };
    assert!(clauses[0].guard.is_some());
    assert_eq!(compact(&clauses[0].body), "'nil");
}

// ------------------------------------------------------------------------------------------
// quasiquote
// ------------------------------------------------------------------------------------------

#[test]
fn quasiquote_without_unquotes_is_data() {
    assert_eq!(core("`x"), "'x");
    assert_eq!(core("`5"), "'5");
    assert_eq!(core("`()"), "'()");
    assert_eq!(core("`(a b)"), "(prim list 'a 'b)");
    assert_eq!(core("`(a (b c))"), "(prim list 'a (prim list 'b 'c))");
}

#[test]
fn quasiquote_unquote_and_splice() {
    assert_eq!(core("`,x"), "x");
    assert_eq!(core("`(a ,b)"), "(prim list 'a b)");
    assert_eq!(core("`(a (b ,c))"), "(prim list 'a (prim list 'b c))");
    assert_eq!(core("`(a ,(f x))"), "(prim list 'a (call f x))");
    // Splices split the list into segments that are appended.
    assert_eq!(core("`(a ,b ,@c d)"), "(prim list/append (prim list 'a b) c (prim list 'd))");
    assert_eq!(core("`(,@x)"), "(prim list/append x)");
    assert_eq!(core("`(,@x ,@y)"), "(prim list/append x y)");
    assert_eq!(core("`(1 ,@(f) 2 3)"), "(prim list/append (prim list '1) (call f) (prim list '2 '3))");
}

#[test]
fn quasiquote_dotted_lists() {
    // The fixed part is one list, appended to the evaluated tail (a non-list tail is kept
    // after a `.` marker at run time).
    assert_eq!(core("`(a . ,b)"), "(prim quasiquote-append (prim list 'a) b)");
    assert_eq!(core("`(,a b . ,c)"), "(prim quasiquote-append (prim list a 'b) c)");
    assert_eq!(core("`(,@xs . ,c)"), "(prim quasiquote-append xs c)");
    assert_eq!(core("`(1 2 3 4 5 6 7 8 9 . ,r)"), "(prim quasiquote-append (prim list '1 '2 '3 '4 '5 '6 '7 '8 '9) r)");
    // A literal atom tail is data, like the quoted '(x . rest).
    assert_eq!(core("`(x . rest)"), "(prim list 'x '. 'rest)");
}

#[test]
fn nested_quasiquote_keeps_inner_levels_as_data() {
    // The inner quasiquote and its unquote stay data; only the unquote two levels in runs.
    assert_eq!(
        core("`(a `(b ,(c ,d)))"),
        "(prim list 'a (prim list 'quasiquote (prim list 'b (prim list 'unquote (prim list 'c d)))))"
    );
    // One level in, an unquote is data.
    assert_eq!(core("`(a `(b ,c))"), "(prim list 'a (prim list 'quasiquote (prim list 'b (prim list 'unquote 'c))))");
    // `,,x` inside a nested quasiquote evaluates x.
    assert_eq!(core("`(a `(b ,,x))"), "(prim list 'a (prim list 'quasiquote (prim list 'b (prim list 'unquote x))))");
    // A splice one level in is data too.
    assert_eq!(
        core("`(a `(b ,@c))"),
        "(prim list 'a (prim list 'quasiquote (prim list 'b (prim list 'unquote-splicing 'c))))"
    );
    // Inside an unquote of the inner level, a splice belongs to the outer level.
    assert_eq!(
        core("`(`(,(,@xs)))"),
        "(prim list (prim list 'quasiquote (prim list (prim list 'unquote (prim list/append xs)))))"
    );
}

#[test]
fn unquote_outside_quasiquote() {
    assert_eq!(err_at(",x"), (s("unquote outside of quasiquote"), 1, 1));
    assert_eq!(err_at("(f\n  ,@x)"), (s("unquote-splicing outside of quasiquote"), 2, 3));
    let splice = s("unquote-splicing (,@) must be an element of a list inside quasiquote");
    assert_eq!(err_at("`,@x"), (splice.clone(), 1, 2));
    assert_eq!(err_at("`(a . ,@b)"), (splice, 1, 7));
    assert_eq!(err_at("(quasiquote)"), (s("quasiquote expects exactly one form"), 1, 1));
}

// ------------------------------------------------------------------------------------------
// eval, defmacro, unsupported forms
// ------------------------------------------------------------------------------------------

#[test]
fn eval_and_defmacro() {
    let e = expand_src("(eval '(+ 1 2))");
    assert_eq!(compact(&e), "(eval '(+ 1 2))");
    let ExprKind::Eval(_, env) = &e.kind else { panic!() };
    assert!(env.is_empty(), "the resolver fills in the environment");

    let e = expand_src("(defmacro m (a . b) `(list ,a ,@b))");
    assert_eq!(compact(&e), "(defmacro m (lambda m (a . b) (prim list/append (prim list 'list a) b)))");
    let ExprKind::DefMacro(name, l) = &e.kind else { panic!() };
    assert_eq!(name, "m");
    assert_eq!(l.name.as_deref(), Some("m"));
    assert_eq!(core("(defmacro m () 1 2)"), "(defmacro m (lambda m () (seq '1 '2)))");
}

#[test]
fn receive_and_include_errors_have_positions() {
    let (msg, line, col) = err_at("\n  (receive \"x\")");
    assert_eq!(msg, "receive clause must be (pattern body...) or (after ms body...), got \"x\"");
    assert_eq!((line, col), (2, 12));
    let (msg, line, col) = err_at("(receive (after 5 :a) (:x 1))");
    assert!(msg.starts_with("(after ms body...) must be the last clause of receive"), "{msg}");
    assert_eq!((line, col), (1, 10));
    // `include` is handled by the driver at top level; anywhere else it is an error.
    let (msg, line, col) = err_at("\n  (include \"x\")");
    assert_eq!(msg, "include must be a top-level form with one string argument: (include \"file.sl\")");
    assert_eq!((line, col), (2, 3));
}

// ------------------------------------------------------------------------------------------
// Syntax errors: messages and positions
// ------------------------------------------------------------------------------------------

#[test]
fn malformed_special_forms() {
    let cases: &[(&str, &str, u32, u32)] = &[
        ("(quote)", "quote expects exactly one form", 1, 1),
        ("(quote a b)", "quote expects exactly one form", 1, 1),
        ("(def)", "def expects a name", 1, 1),
        ("(defun)", "defun expects a name", 1, 1),
        ("(def 5 1)", "expected a name, got 5", 1, 6),
        ("(def (f) 1)", "expected a name, got (f)", 1, 6),
        ("(def :i64 1)", "expected a name, got :i64", 1, 6),
        ("(def x:foo 1)", "unknown type 'foo' in annotation x:foo (types: i64 f64 bool str list map fn any)", 1, 6),
        ("(def x: 1)", "unknown type '' in annotation x: (types: i64 f64 bool str list map fn any)", 1, 6),
        ("(def x 1 2)", "expected a parameter list, got 1", 1, 8),
        ("(fun)", "fun expects a parameter list", 1, 1),
        ("(lambda)", "lambda expects a parameter list", 1, 1),
        ("(fun x x)", "expected a parameter list, got x", 1, 6),
        ("(fun (a a) 1)", "duplicate parameter a", 1, 9),
        ("(defun f (a . a) a)", "duplicate parameter a", 1, 15),
        ("(fun (a 1) a)", "expected a name, got 1", 1, 9),
        ("(let)", "let expects a binding list", 1, 1),
        ("(loop)", "loop expects a binding list", 1, 1),
        ("(let x 1)", "let expects a binding list like ((name value) ...), got x", 1, 6),
        ("(loop x)", "loop expects a binding list like ((name value) ...), got x", 1, 7),
        ("(let ((a 1 2)) a)", "let binding must be (name value), got (a 1 2)", 1, 7),
        ("(let (5) 1)", "let binding must be (name value), got 5", 1, 7),
        ("(let ((1 2)) 1)", "expected a name, got 1", 1, 8),
        ("(if)", "if expects a test, a then branch and an optional else branch, got 0 forms", 1, 1),
        ("(if 1)", "if expects a test, a then branch and an optional else branch, got 1 forms", 1, 1),
        ("(if 1 2 3 4)", "if expects a test, a then branch and an optional else branch, got 4 forms", 1, 1),
        ("(when)", "when expects a test", 1, 1),
        ("(unless)", "unless expects a test", 1, 1),
        ("(set! x)", "set! expects a name and a value", 1, 1),
        ("(set! x 1 2)", "set! expects a name and a value", 1, 1),
        ("(set! 5 1)", "set! expects a name, got 5", 1, 7),
        ("(defmacro m)", "defmacro expects a name, a parameter list and a body", 1, 1),
        ("(defmacro 5 () 1)", "defmacro expects a name, got 5", 1, 11),
        ("(defmacro m x 1)", "expected a parameter list, got x", 1, 13),
        ("(throw)", "throw expects exactly one value", 1, 1),
        ("(throw 1 2)", "throw expects exactly one value", 1, 1),
        ("(eval)", "eval expects exactly one form", 1, 1),
        ("(eval 1 2)", "eval expects exactly one form", 1, 1),
        ("(cond x)", "cond clause must be (test body...), got x", 1, 7),
        ("(cond ())", "cond clause must be (test body...), got ()", 1, 7),
        ("(match)", "match expects a value and clauses", 1, 1),
        ("(match x y)", "match clause must be (pattern body...), got y", 1, 10),
        ("(match x ())", "match clause must be (pattern body...), got ()", 1, 10),
        ("(a . b)", "cannot evaluate a dotted list: (a . b)", 1, 1),
    ];
    for &(src, msg, line, col) in cases {
        assert_eq!(err_at(src), (msg.to_string(), line, col), "{src}");
    }
}

#[test]
fn errors_deep_inside_forms_point_at_the_culprit() {
    let src = "(defun f (x)\n  (let ((y 1))\n    (when x\n      (if y))))";
    assert_eq!(err_at(src), (s("if expects a test, a then branch and an optional else branch, got 1 forms"), 4, 7));
    let e = expand_err(src);
    assert_eq!(&src[e.span.start as usize..e.span.end as usize], "(if y)");

    let src = "(match v\n  ((a b) 1)\n  oops)";
    let e = expand_err(src);
    assert_eq!((e.span.line, e.span.col), (3, 3));
    assert_eq!(&src[e.span.start as usize..e.span.end as usize], "oops");

    // The first error wins.
    assert_eq!(
        err_at("(list (if) (quote))").0,
        "if expects a test, a then branch and an optional else branch, got 0 forms"
    );
}

#[test]
fn expressions_keep_their_source_spans() {
    let src = "(defun f (a)\n  (when a\n    (g a)))";
    let e = expand_src(src);
    assert_eq!((e.span.line, e.span.col), (1, 1));
    let l = lambda_of(&e);
    assert_eq!((l.params[0].span.line, l.params[0].span.col), (1, 11));
    let ExprKind::If(test, then, _) = &l.body.kind else { panic!() };
    assert_eq!((l.body.span.line, l.body.span.col), (2, 3));
    assert_eq!((test.span.line, test.span.col), (2, 9));
    assert_eq!((then.span.line, then.span.col), (3, 5));
    assert_eq!(&src[then.span.start as usize..then.span.end as usize], "(g a)");
}

#[test]
fn overly_nested_forms_are_errors_not_crashes() {
    // Built directly (the reader refuses this depth): `(f (f (f ... 1)))`.
    let span = Span::default();
    let mut form = int(1, span);
    for _ in 0..MAX_NESTING + 10 {
        form = Sexp::list(vec![sym("f", span), form], span);
    }
    let e = expand(&form, &mut NoMacros).unwrap_err();
    assert_eq!(e.message, format!("expression nested too deeply (limit {MAX_NESTING} levels)"));

    let mut datum = int(1, span);
    for _ in 0..MAX_NESTING + 10 {
        datum = Sexp::list(vec![datum], span);
    }
    let quoted = Sexp::list(vec![sym("quote", span), datum], span);
    let e = expand(&quoted, &mut NoMacros).unwrap_err();
    assert_eq!(e.message, format!("quoted data nested too deeply (limit {MAX_NESTING} levels)"));

    // The nesting budget is given back after the errors.
    assert_eq!(core("(f (g (h 1)))"), "(call f (call g (call h '1)))");
}

// ------------------------------------------------------------------------------------------
// Macros
// ------------------------------------------------------------------------------------------

#[test]
fn macro_receives_unevaluated_forms_and_its_call_span() {
    let mut host = FakeHost::default().with("my-when", |args, span| {
        let mut body = vec![sym("begin", span)];
        body.extend_from_slice(&args[1..]);
        Ok(Sexp::list(vec![sym("if", span), args[0].clone(), Sexp::list(body, span)], span))
    });
    let out = expand_with("(list 0\n  (my-when (> x 1) (print \"big\") x))", &mut host).unwrap();
    assert_eq!(out, "(call list '0 (if (call > x '1) (seq (call print '\"big\") x) 'nil))");
    let (name, args, span) = &host.calls[0];
    assert_eq!(name, "my-when");
    assert_eq!(args, &["(> x 1)", "(print \"big\")", "x"]);
    assert_eq!((span.line, span.col), (2, 3));
}

#[test]
fn macros_expand_to_a_fixed_point() {
    // a → (b x) → (c x) → (+ x 1)
    let mut host = FakeHost::default()
        .with("a", |args, span| Ok(Sexp::list(vec![sym("b", span), args[0].clone()], span)))
        .with("b", |args, span| Ok(Sexp::list(vec![sym("c", span), args[0].clone()], span)))
        .with("c", |args, span| Ok(Sexp::list(vec![sym("+", span), args[0].clone(), int(1, span)], span)));
    assert_eq!(expand_with("(a y)", &mut host).unwrap(), "(call + y '1)");
    assert_eq!(host.call_names(), ["a", "b", "c"]);

    // Macro calls inside an expansion, and in the arguments of ordinary calls, are expanded.
    let mut host = FakeHost::default()
        .with("twice", |args, span| {
            let once = Sexp::list(vec![sym("once", span), args[0].clone()], span);
            Ok(Sexp::list(vec![sym("begin", span), once.clone(), once], span))
        })
        .with("once", |args, span| Ok(Sexp::list(vec![sym("print", span), args[0].clone()], span)));
    assert_eq!(expand_with("(f (twice 1))", &mut host).unwrap(), "(call f (seq (call print '1) (call print '1)))");
    assert_eq!(host.call_names(), ["twice", "once", "once"]);

    // A macro may expand to a special form, a constant or a symbol.
    let mut host = FakeHost::default().with("k", |_, span| Ok(sym("z", span)));
    assert_eq!(expand_with("(k)", &mut host).unwrap(), "z");
}

#[test]
fn macro_names_take_precedence_over_special_forms() {
    // The expander asks the host first: a macro named like a special form replaces it.
    let mut host = FakeHost::default().with("when", |_, span| Ok(int(7, span)));
    assert_eq!(expand_with("(when a b)", &mut host).unwrap(), "'7");
}

#[test]
fn macro_errors_propagate_unchanged() {
    let mut host = FakeHost::default().with("bad", |_, span| Err(SlightError::syntax("bad macro", span)));
    let e = expand(&read1("(list\n (bad 1))"), &mut host).unwrap_err();
    assert_eq!(e.message, "bad macro");
    assert_eq!((e.span.line, e.span.col), (2, 2));

    // An expansion that is not valid code is a syntax error at the expansion.
    let mut host = FakeHost::default().with("m", |_, span| Ok(Sexp::list(vec![sym("if", span)], span)));
    let e = expand(&read1("(m)"), &mut host).unwrap_err();
    assert_eq!(e.message, "if expects a test, a then branch and an optional else branch, got 0 forms");
}

#[test]
fn macro_expansion_depth_limit() {
    // `(deep n)` needs n + 1 expansions in a chain; MACRO_DEPTH_LIMIT of them are allowed.
    let limit = MACRO_DEPTH_LIMIT as i64;
    let mut host = deep_host();
    assert_eq!(expand_with(&format!("(deep {})", limit - 1), &mut host).unwrap(), "'42");
    assert_eq!(host.calls.len(), MACRO_DEPTH_LIMIT);

    let mut host = deep_host();
    let e = expand(&read1(&format!("\n  (deep {limit})")), &mut host).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.message, format!("macro expansion too deep (limit {MACRO_DEPTH_LIMIT}) while expanding deep"));
    assert_eq!((e.span.line, e.span.col), (2, 3));
    assert_eq!(host.calls.len(), MACRO_DEPTH_LIMIT, "the host is not called past the limit");

    // A macro that expands to itself stops at the limit instead of looping forever.
    let mut host = FakeHost::default().with("loopy", |_, span| Ok(Sexp::list(vec![sym("loopy", span)], span)));
    let e = expand(&read1("(loopy)"), &mut host).unwrap_err();
    assert_eq!(e.message, format!("macro expansion too deep (limit {MACRO_DEPTH_LIMIT}) while expanding loopy"));
}

#[test]
fn macro_depth_counts_nesting_not_total_expansions() {
    let limit = MACRO_DEPTH_LIMIT as i64;
    // Two chains side by side: each stays under the limit, together they exceed it.
    let mut host = deep_host();
    let src = format!("(list (deep {}) (deep {}))", limit - 1, limit - 1);
    assert_eq!(expand_with(&src, &mut host).unwrap(), "(call list '42 '42)");
    assert_eq!(host.calls.len(), 2 * MACRO_DEPTH_LIMIT);

    // A chain nested inside another macro's expansion counts that macro too.
    let outer = |args: &[Sexp], span: Span| Ok(Sexp::list(vec![sym("begin", span), args[0].clone()], span));
    let mut host = deep_host().with("outer", outer);
    let ok = format!("(outer (deep {}))", limit - 2);
    assert_eq!(expand_with(&ok, &mut host).unwrap(), "'42");
    let mut host = deep_host().with("outer", outer);
    let too_deep = format!("(outer (deep {}))", limit - 1);
    let e = expand(&read1(&too_deep), &mut host).unwrap_err();
    assert!(e.message.starts_with("macro expansion too deep"), "{}", e.message);

    // After an error the same host and a new expansion start from zero again.
    assert_eq!(expand_with("(deep 3)", &mut host).unwrap(), "'42");
}

#[test]
fn macro_expanding_to_ever_deeper_code_hits_the_nesting_limit() {
    // (wrap) → (begin 1 (wrap)) → … grows one level per expansion.
    let mut host = FakeHost::default().with("wrap", |_, span| {
        Ok(Sexp::list(vec![sym("list", span), Sexp::list(vec![sym("wrap", span)], span)], span))
    });
    let e = expand(&read1("(wrap)"), &mut host).unwrap_err();
    assert_eq!(e.message, format!("expression nested too deeply (limit {MAX_NESTING} levels)"));
    // The budget is released: ordinary forms expand again.
    assert_eq!(core("(a (b (c)))"), "(call a (call b (call c)))");
}

/// A host whose macro `re` expands code that itself calls `re`, as a macro that runs `eval`
/// would: each level is a macro call still running.
fn reentrant_host() -> FakeHost {
    FakeHost::default().with("re", |_, span| {
        let inner = Sexp::list(vec![sym("re", span)], span);
        expand(&inner, &mut reentrant_host()).map(|_| int(1, span))
    })
}

#[test]
fn macros_running_inside_macros_are_bounded() {
    let e = expand(&read1("(re)"), &mut reentrant_host()).unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "macro expansion nested too deeply: re is expanded while {MAX_RUNNING_MACROS} macro calls are running \
             (a macro that evaluates code which uses macros?)"
        )
    );
    // The count of running macros is released: a macro works again on this thread.
    let mut host = deep_host();
    assert_eq!(expand_with("(deep 2)", &mut host).unwrap(), "'42");
}

#[test]
fn macro_returning_deeply_nested_quoted_data_is_an_error() {
    let mut host = FakeHost::default().with("data", |_, span| {
        let mut d = int(0, span);
        for _ in 0..MAX_NESTING * 2 {
            d = Sexp::list(vec![d], span);
        }
        Ok(Sexp::list(vec![sym("quote", span), d], span))
    });
    let e = expand(&read1("(data)"), &mut host).unwrap_err();
    assert_eq!(e.message, format!("quoted data nested too deeply (limit {MAX_NESTING} levels)"));
}

// ------------------------------------------------------------------------------------------
// Resolver: slots, captures, cells, globals
// ------------------------------------------------------------------------------------------

#[test]
fn parameters_and_lets_get_slots_and_sibling_blocks_share_them() {
    let (e, _) = resolve("(defun f (a b) (let ((c 1)) c) (let ((d 2) (e 3)) (+ d e)))");
    let f = lambda_of(&e);
    let slots: Vec<_> = f.info.locals.iter().map(|l| (l.name.as_str(), l.slot)).collect();
    assert_eq!(slots, [("a", 0), ("b", 1), ("c", 2), ("d", 2), ("e", 3)]);
    assert_eq!(f.info.nslots, 4);
    assert!(f.info.captures.is_empty());
    assert_eq!(compact(&f.body), "(seq (let ((c '1)) c@local2) (let ((d '2) (e '3)) (prim + d@local3 e@local4)))");
    // A rest parameter comes after the fixed ones.
    let (e, _) = resolve("(defun g (a . r) r)");
    let g = lambda_of(&e);
    assert_eq!(local(&g.info, "r").slot, 1);
    assert_eq!(compact(&g.body), "r@local1");
}

#[test]
fn shadowing_resolves_to_the_innermost_binding() {
    assert_eq!(resolved("(let ((a 1) (a 2)) a)"), "(let ((a '1) (a '2)) a@local1)");
    assert_eq!(
        resolved("(let ((x 1)) (let ((x (+ x 1))) x))"),
        "(let ((x '1)) (let ((x (prim + x@local0 '1))) x@local1))"
    );
    // A parameter shadows a global of the same name.
    let (e, _) = resolve("(defun f (list) (list 1))");
    assert_eq!(compact(&lambda_of(&e).body), "(tail-call list@local0 '1)");
}

#[test]
fn captured_only_values_are_copied_captured_and_assigned_get_cells() {
    let (e, _) = resolve("(defun f (a b c) (set! c 0) (fun () (set! a (+ a b))))");
    let f = lambda_of(&e);
    let (a, b, c) = (local(&f.info, "a"), local(&f.info, "b"), local(&f.info, "c"));
    assert!(a.captured && a.assigned && a.boxed, "captured and assigned: a cell");
    assert!(b.captured && !b.assigned && !b.boxed, "only captured: a copy");
    assert!(!c.captured && c.assigned && !c.boxed, "only assigned: a plain register");
    let inner = lambda_of(&f.body);
    let caps: Vec<_> = inner.info.captures.iter().map(|c| (c.name.as_str(), c.from, c.boxed)).collect();
    assert_eq!(caps, [("a", CaptureFrom::Local(0), true), ("b", CaptureFrom::Local(1), false)]);
    assert_eq!(compact(&inner.body), "(set! a@capture0 (prim + a@capture0 b@capture1))");
}

#[test]
fn captures_through_several_levels() {
    let (e, _) = resolve("(defun f (x y) (fun () (fun () (set! x y))))");
    let f = lambda_of(&e);
    assert!(local(&f.info, "x").boxed);
    assert!(!local(&f.info, "y").boxed);
    let middle = lambda_of(&f.body);
    let caps: Vec<_> = middle.info.captures.iter().map(|c| (c.name.as_str(), c.from, c.boxed)).collect();
    assert_eq!(caps, [("y", CaptureFrom::Local(1), false), ("x", CaptureFrom::Local(0), true)]);
    let inner = lambda_of(&middle.body);
    let caps: Vec<_> = inner.info.captures.iter().map(|c| (c.name.as_str(), c.from, c.boxed)).collect();
    assert_eq!(caps, [("y", CaptureFrom::Capture(0), false), ("x", CaptureFrom::Capture(1), true)]);
    assert_eq!(compact(&inner.body), "(set! x@capture1 y@capture0)");
}

#[test]
fn inner_defs_are_locals_and_captured_defs_get_cells() {
    // Functions defined in a body can call each other: both are predeclared, and a captured
    // def is assigned after the closure that captures it is made, so it lives in a cell.
    let (e, _) = resolve(
        "(defun outer () (defun ev? (n) (if (== n 0) true (od? (- n 1)))) \
         (defun od? (n) (if (== n 0) false (ev? (- n 1)))) (ev? 10))",
    );
    let outer = lambda_of(&e);
    let ev = local(&outer.info, "ev?");
    let od = local(&outer.info, "od?");
    assert!(ev.boxed && od.boxed);
    assert_eq!((ev.slot, od.slot), (0, 1));
    let ExprKind::Seq(items) = &outer.body.kind else { panic!() };
    assert!(matches!(items[0].kind, ExprKind::Define { var: VarRef::Local(0), .. }));
    assert!(matches!(items[1].kind, ExprKind::Define { var: VarRef::Local(1), .. }));
    assert_eq!(compact(&items[2]), "(tail-call ev?@local0 '10)");

    // An inner def that nothing captures is a plain register.
    let (e, _) = resolve("(defun f () (def x 1) (+ x 1))");
    let x = local(&lambda_of(&e).info, "x");
    assert!(x.assigned && !x.boxed);
}

#[test]
fn def_at_top_level_is_global_inside_any_scope_is_local() {
    let mut g = GlobalNames::new();
    let (e, info) = resolve_with("(def x 1)", &mut g).unwrap();
    let index = g.lookup("x").expect("interned");
    assert!(matches!(e.kind, ExprKind::Define { var: VarRef::Global(i), .. } if i == index));
    assert!(g.is_user_defined("x"));
    assert!(info.locals.is_empty());

    // Inside a top-level let it is a local of the script (DIVERGENCES).
    let (e, info) = resolve_with("(let ((n 0)) (defun next () (set! n (+ n 1))))", &mut g).unwrap();
    assert!(g.lookup("next").is_none(), "no global for a local defun");
    assert_eq!(info.locals.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["n", "next"]);
    assert!(local(&info, "n").boxed);
    let ExprKind::Let(_, body) = &e.kind else { panic!() };
    assert!(matches!(body.kind, ExprKind::Define { var: VarRef::Local(1), .. }));
    // Also inside try, catch and match clauses.
    for src in ["(try (def y 1))", "(try 1 (catch e (def y 1)))", "(match 1 (_ (def y 1)))"] {
        let mut g = GlobalNames::new();
        resolve_with(src, &mut g).unwrap();
        assert!(g.lookup("y").is_none(), "{src}");
    }
}

#[test]
fn globals_are_interned_once_and_shared_across_forms() {
    let mut g = GlobalNames::new();
    let (a, _) = resolve_with("(f x)", &mut g).unwrap();
    let (b, _) = resolve_with("(g x f)", &mut g).unwrap();
    let (fi, xi, gi) = (g.lookup("f").unwrap(), g.lookup("x").unwrap(), g.lookup("g").unwrap());
    assert_eq!(compact(&a), format!("(tail-call f@global{fi} x@global{xi})"));
    assert_eq!(compact(&b), format!("(tail-call g@global{gi} x@global{xi} f@global{fi})"));
    assert!(!g.is_user_defined("f"), "a use is not a definition");
    // `set!` of an unknown name is a global (checked at run time).
    let (e, _) = resolve_with("(set! nowhere 1)", &mut g).unwrap();
    assert!(matches!(e.kind, ExprKind::Set { var: VarRef::Global(_), .. }));
}

#[test]
fn core_operators_become_primitives_unless_shadowed_or_redefined() {
    assert_eq!(resolved("(+ 1 2 3)"), "(prim + (prim + '1 '2) '3)");
    assert_eq!(resolved("(* 1 2 3 4)"), "(prim * (prim * (prim * '1 '2) '3) '4)");
    assert_eq!(resolved("(- 1 2 3)"), "(prim - (prim - '1 '2) '3)");
    assert_eq!(resolved("(- 5)"), "(prim - '5)");
    assert_eq!(resolved("(list 1 2)"), "(prim list '1 '2)");
    assert_eq!(resolved("(list/head x)"), "(prim head x@global0)");
    assert_eq!(resolved("(not (empty? x))"), "(prim not (prim empty? x@global0))");
    // More than four arguments stay a call of the variadic builtin.
    assert_eq!(resolved("(+ 1 2 3 4 5)"), "(tail-call +@global0 '1 '2 '3 '4 '5)");
    // Wrong arity for a primitive: a call of the builtin, which reports the arity error.
    assert_eq!(resolved("(head 1 2)"), "(tail-call head@global0 '1 '2)");
    // A local named like an operator.
    assert_eq!(resolved("(let ((+ f)) (+ 1 2))"), "(let ((+ f@global0)) (tail-call +@local0 '1 '2))");
    // A user-defined global named like an operator: calls compiled afterwards are calls.
    let mut g = GlobalNames::new();
    resolve_with("(defun + (a b) 0)", &mut g).unwrap();
    let (e, _) = resolve_with("(+ 1 2)", &mut g).unwrap();
    assert_eq!(compact(&e), format!("(tail-call +@global{} '1 '2)", g.lookup("+").unwrap()));
}

#[test]
fn a_failed_definition_does_not_mark_the_name_user_defined() {
    let mut g = GlobalNames::new();
    assert!(resolve_with("(defun + (a b) (recur 1))", &mut g).is_err());
    assert!(!g.is_user_defined("+"));
    let (e, _) = resolve_with("(+ 1 2)", &mut g).unwrap();
    assert_eq!(compact(&e), "(prim + '1 '2)");
}

// ------------------------------------------------------------------------------------------
// Resolver: tail positions
// ------------------------------------------------------------------------------------------

#[test]
fn tail_positions() {
    let tail = |src: &str| without_global_indices(&compact(&lambda_of(&resolve(src).0).body));
    assert_eq!(tail("(defun f (n) (g n))"), "(tail-call g@global n@local0)");
    assert_eq!(tail("(defun f (n) (g (h n)))"), "(tail-call g@global (call h@global n@local0))");
    assert_eq!(
        tail("(defun f (n) (if (g n) (h n) (k n)))"),
        "(if (call g@global n@local0) (tail-call h@global n@local0) (tail-call k@global n@local0))"
    );
    assert_eq!(tail("(defun f (n) (g n) (h n))"), "(seq (call g@global n@local0) (tail-call h@global n@local0))");
    assert_eq!(tail("(defun f (n) (and (g n) (h n)))"), "(and (call g@global n@local0) (tail-call h@global n@local0))");
    assert_eq!(tail("(defun f (n) (or (g n) (h n)))"), "(or (call g@global n@local0) (tail-call h@global n@local0))");
    assert_eq!(
        tail("(defun f (n) (let ((m (g n))) (h m)))"),
        "(let ((m (call g@global n@local0))) (tail-call h@global m@local1))"
    );
    assert_eq!(tail("(defun f (n) (when n (g n)))"), "(if n@local0 (tail-call g@global n@local0) 'nil)");
    assert_eq!(
        tail("(defun f (n) (cond ((g n) (h n)) (else (k n))))"),
        "(if (call g@global n@local0) (tail-call h@global n@local0) (tail-call k@global n@local0))"
    );
    assert_eq!(tail("(defun f (n) (match n (1 (g n)) (_ :when (h n) (k n))))"),
        "(match n@local0 ('1 (tail-call g@global n@local0)) (_ :when (call h@global n@local0) (tail-call k@global n@local0)))");
    // A loop body is in tail position too (for calls that are not `recur`).
    assert_eq!(tail("(defun f (n) (loop ((i n)) (g i)))"), "(loop ((i n@local0)) (tail-call g@global i@local1))");
    // Not in tail position: arguments, tests, try bodies, handlers and cleanups, throw, set!, def.
    assert_eq!(
        tail("(defun f (n) (try (g n) (catch e (h e)) (finally (k n))))"),
        "(try (call g@global n@local0) (catch e (call h@global e@local1)) (finally (call k@global n@local0)))"
    );
    assert_eq!(tail("(defun f (n) (throw (g n)))"), "(throw (call g@global n@local0))");
    assert_eq!(tail("(defun f (n) (set! n (g n)))"), "(set! n@local0 (call g@global n@local0))");
    // The top-level form is the body of a script function: its last call is a tail call.
    assert_eq!(resolved("(f 1)"), "(tail-call f@global0 '1)");
}

#[test]
fn tail_flags_on_the_tree() {
    let (e, _) = resolve("(defun f (n) (if (< n 2) n (g (- n 1))))");
    let f = lambda_of(&e);
    assert!(f.body.tail);
    let ExprKind::If(c, t, el) = &f.body.kind else { panic!() };
    assert!(!c.tail && t.tail && el.tail);
    let ExprKind::Call(callee, args) = &el.kind else { panic!() };
    assert!(!callee.tail && !args[0].tail);
}

// ------------------------------------------------------------------------------------------
// Resolver: recur
// ------------------------------------------------------------------------------------------

#[test]
fn recur_checks() {
    assert_eq!(
        resolve_err("(loop ((i 0) (j 1))\n  (recur 1))"),
        (s("recur expects 2 arguments (the loop's bindings), got 1"), 2, 3)
    );
    assert_eq!(
        resolve_err("(loop ((i 0)) (recur 1 2))"),
        (s("recur expects 1 arguments (the loop's bindings), got 2"), 1, 15)
    );
    assert_eq!(resolve_err("(recur 1)"), (s("recur outside of loop"), 1, 1));
    assert_eq!(resolve_err("(defun f (n) (recur n))"), (s("recur outside of loop"), 1, 14));
    // A function inside a loop cannot recur to it.
    assert_eq!(resolve_err("(loop ((i 0)) (fun () (recur 1)))"), (s("recur outside of loop"), 1, 23));
    let not_tail = s("recur must be in tail position of its loop");
    assert_eq!(resolve_err("(loop ((i 0)) (+ 1 (recur i)))"), (not_tail.clone(), 1, 20));
    assert_eq!(resolve_err("(loop ((i 0)) (try (recur 1)))"), (not_tail.clone(), 1, 20));
    assert_eq!(resolve_err("(loop ((i 0)) (try 1 (catch e (recur 1))))"), (not_tail.clone(), 1, 31));
    assert_eq!(resolve_err("(loop ((i 0)) (if (recur 1) 1 2))"), (not_tail.clone(), 1, 19));
    assert_eq!(resolve_err("(loop ((i 0)) (recur 1) 2)"), (not_tail.clone(), 1, 15));
    assert_eq!(resolve_err("(loop ((i 0)) (or (recur 1) 2))"), (not_tail.clone(), 1, 19));
    assert_eq!(resolve_err("(loop ((i (recur 1))) i)"), (s("recur outside of loop"), 1, 11));
    assert_eq!(resolve_err("(loop ((i 0)) (match i (_ :when (recur 1) 2)))"), (not_tail, 1, 33));
}

#[test]
fn recur_in_every_tail_position_of_a_loop() {
    for body in [
        "(if (< i 3) (recur (+ i 1)) i)",
        "(when (< i 3) (recur (+ i 1)))",
        "(unless (>= i 3) (recur (+ i 1)))",
        "(cond ((< i 3) (recur (+ i 1))) (else i))",
        "(and (< i 3) (recur (+ i 1)))",
        "(or (>= i 3) (recur (+ i 1)))",
        "(let ((j (+ i 1))) (recur j))",
        "(begin (print i) (recur (+ i 1)))",
        "(match i (3 i) (_ (recur (+ i 1))))",
        "(loop ((j 0)) (recur 1))",
    ] {
        let src = format!("(loop ((i 0)) {body})");
        resolve_with(&src, &mut GlobalNames::new()).unwrap_or_else(|e| panic!("{src}: {}", e.message));
    }
    // An inner loop's recur takes the inner loop's arity.
    assert_eq!(
        resolve_err("(loop ((i 0) (j 0)) (loop ((k 0)) (recur 1 2)))"),
        (s("recur expects 1 arguments (the loop's bindings), got 2"), 1, 35)
    );
}

// ------------------------------------------------------------------------------------------
// Resolver: eval environments and field access
// ------------------------------------------------------------------------------------------

#[test]
fn eval_sees_every_visible_local_and_boxes_it() {
    let (e, _) = resolve("(defun f (x) (let ((y 1)) (eval '(set! x y))) x)");
    let f = lambda_of(&e);
    let envs = evals(&f.body);
    assert_eq!(envs.len(), 1);
    assert_eq!(envs[0].iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["x", "y"]);
    assert_eq!(envs[0][0].1, VarRef::Local(0));
    assert_eq!(envs[0][1].1, VarRef::Local(1));
    assert!(local(&f.info, "x").boxed && local(&f.info, "y").boxed);

    // Not-yet-bound and out-of-scope names are not in the environment.
    let (e, _) = resolve("(defun g (a) (let ((b 1)) b) (eval 'a) (let ((c 2)) c))");
    let g = lambda_of(&e);
    let envs = evals(&g.body);
    assert_eq!(envs[0].iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["a"]);
    assert!(!local(&g.info, "b").boxed && !local(&g.info, "c").boxed);
}

#[test]
fn eval_in_a_closure_captures_the_outer_locals_as_cells() {
    let (e, _) = resolve("(defun f (x) (fun (y) (eval '(set! x y))))");
    let f = lambda_of(&e);
    assert!(local(&f.info, "x").boxed, "an outer local visible to eval is a cell");
    let inner = lambda_of(&f.body);
    let envs = evals(&inner.body);
    let names: Vec<_> = envs[0].iter().map(|(n, v)| (n.as_str(), *v)).collect();
    assert_eq!(names, [("x", VarRef::Capture(0)), ("y", VarRef::Local(0))]);
    assert!(inner.info.captures[0].boxed);
    assert!(local(&inner.info, "y").boxed);
}

#[test]
fn eval_at_top_level_and_with_an_eval_environment() {
    // No locals: an empty environment.
    let (e, _) = resolve("(eval '(+ 1 2))");
    let ExprKind::Eval(_, env) = &e.kind else { panic!() };
    assert!(env.is_empty());

    // The code `eval` compiles sees the names of its environment as captured cells.
    let env = EvalEnv { names: vec![s("x"), s("y")] };
    let mut g = GlobalNames::new();
    let mut e = expand_src("(begin (set! x (+ x y)) z)");
    let info = resolve_toplevel(&mut e, &mut g, Some(&env)).unwrap();
    assert_eq!(info.captures.len(), 2);
    assert!(info.captures.iter().all(|c| c.boxed));
    assert_eq!(info.captures[0].from, CaptureFrom::Capture(0));
    assert_eq!(info.captures[1].from, CaptureFrom::Capture(1));
    assert_eq!(
        compact(&e),
        format!("(seq (set! x@capture0 (prim + x@capture0 y@capture1)) z@global{})", g.lookup("z").unwrap())
    );

    // A closure made inside such code captures the cell from the script's captures.
    let mut e = expand_src("(fun () (set! x 1))");
    let info = resolve_toplevel(&mut e, &mut g, Some(&env)).unwrap();
    let l = lambda_of(&e);
    assert_eq!(l.info.captures[0].from, CaptureFrom::Capture(0));
    assert!(l.info.captures[0].boxed);
    assert_eq!(info.captures.len(), 2);
}

#[test]
fn dotted_field_access_on_locals() {
    assert_eq!(
        resolved("(try (f) (catch e e.message))"),
        "(try (call f@global0) (catch e (prim field e@local0 '\"message\")))"
    );
    assert_eq!(
        resolved("(try 1 (catch e (list e.type e.message)))"),
        "(try '1 (catch e (prim list (prim field e@local0 '\"type\") (prim field e@local0 '\"message\"))))"
    );
    // Through a capture.
    let (e, _) = resolve("(defun f (e) (fun () e.message))");
    assert_eq!(compact(&lambda_of(&lambda_of(&e).body).body), "(prim field e@capture0 '\"message\")");
    // Not a local: a global whose name contains a dot.
    let mut g = GlobalNames::new();
    let (e, _) = resolve_with("e.message", &mut g).unwrap();
    assert!(matches!(e.kind, ExprKind::Var { var: VarRef::Global(_), .. }));
    assert!(g.lookup("e.message").is_some());
    // A local whose name contains the dot wins over field access.
    assert_eq!(resolved("(let ((a.b 1)) a.b)"), "(let ((a.b '1)) a.b@local0)");
    // Leading or trailing dots are names, not field access.
    assert!(
        matches!(resolve("(let ((e 1)) .e)").0.kind, ExprKind::Let(_, ref b) if matches!(b.kind, ExprKind::Var { var: VarRef::Global(_), .. }))
    );
    assert!(
        matches!(resolve("(let ((e 1)) e.)").0.kind, ExprKind::Let(_, ref b) if matches!(b.kind, ExprKind::Var { var: VarRef::Global(_), .. }))
    );
    // Field access is a primitive with two operands.
    let (e, _) = resolve("(let ((e 1)) e.x)");
    let ExprKind::Let(_, body) = &e.kind else { panic!() };
    assert!(matches!(body.kind, ExprKind::Prim(Prim::Field, ref args) if args.len() == 2));
}

#[test]
fn match_bindings_are_locals_of_their_clause() {
    let (e, _) = resolve("(defun f (v) (match v ((list a b) (fun () a)) ((x . r) r) (_ 0)))");
    let f = lambda_of(&e);
    let slots: Vec<_> = f.info.locals.iter().map(|l| (l.name.as_str(), l.slot)).collect();
    assert_eq!(slots, [("v", 0), ("a", 1), ("b", 2), ("x", 1), ("r", 2)]);
    assert!(local(&f.info, "a").captured && !local(&f.info, "a").boxed);
}
