//! `loop`/`recur` becomes a Rust loop.
#[allow(non_upper_case_globals, clippy::all)]
static __n_MODULE: ::slight::__rt::Module = ::slight::__rt::Module::new(
    &[
        (
            "tail_loop.rs",
            "\n\n    (defun sum-to (n) (loop ((i 0) (acc 0)) (if (> i n) acc (recur (+ i 1) (+ acc i)))))",
        ),
    ],
    &[],
    &["sum-to"],
    &[
        ::slight::__rt::Site::new(0, 50, 57, 3, 49, "sum-to"),
        ::slight::__rt::Site::new(0, 69, 76, 3, 68, "sum-to"),
        ::slight::__rt::Site::new(0, 77, 86, 3, 76, "sum-to"),
    ],
);
#[allow(non_snake_case, unused_mut, unused_variables, unused_parens, clippy::all)]
fn __ns_sum_to(__nvm: &mut ::slight::__rt::Vm, n: i64) -> ::slight::__rt::SpecRes<i64> {
    Ok({
        let mut i: i64 = 0;
        let mut acc: i64 = 0;
        loop {
            let _ = ::slight::__rt::spec_tick(__nvm)?;
            break if i > n {
                acc
            } else {
                let __next_i = ::slight::__rt::spec_checked(i64::checked_add(i, 1))?;
                let __next_acc = ::slight::__rt::spec_checked(i64::checked_add(acc, i))?;
                i = __next_i;
                acc = __next_acc;
                continue;
            };
        }
    })
}
#[allow(
    unused_mut,
    unused_variables,
    unused_assignments,
    unused_braces,
    unreachable_code,
    non_snake_case,
    non_upper_case_globals,
    break_with_label_and_loop,
    unused_parens,
    clippy::all
)]
fn __n_d1(
    vm: &mut ::slight::__rt::Vm,
    __np0: ::slight::__rt::Value,
) -> ::slight::__rt::Res {
    let env = &[] as &[::slight::__rt::Value];
    match (&__np0,) {
        (
            ::slight::__rt::Value::Int(__ns0),
        ) if ::slight::__rt::spec_on(vm)
            && ::slight::__rt::holds(vm, &__n_MODULE, 0, &__n_INFO1) => {
            let __nr = __ns_sum_to(vm, *__ns0);
            return ::slight::__rt::spec_result(vm, __nr, move |vm| __n_d1(vm, __np0));
        }
        _ => {}
    };
    let mut n__0: ::slight::__rt::Value = __np0;
    let mut i__1: ::slight::__rt::Value = ::slight::__rt::Value::Nil;
    let mut acc__2: ::slight::__rt::Value = ::slight::__rt::Value::Nil;
    Ok({
        i__1 = ::slight::__rt::int(0);
        acc__2 = ::slight::__rt::int(0);
        '__nl__nt1: loop {
            let _ = ::slight::__rt::tick(vm)?;
            break '__nl__nt1 if ::slight::__rt::at(
                ::slight::__rt::gt(&i__1, &n__0),
                vm,
                &__n_MODULE,
                0,
            )? {
                acc__2.clone()
            } else {
                {
                    let __nt2 = ::slight::__rt::at(
                        ::slight::__rt::add_i(&i__1, 1),
                        vm,
                        &__n_MODULE,
                        1,
                    )?;
                    let __nt3 = ::slight::__rt::at(
                        ::slight::__rt::add(&acc__2, &i__1),
                        vm,
                        &__n_MODULE,
                        2,
                    )?;
                    i__1 = __nt2;
                    acc__2 = __nt3;
                    continue '__nl__nt1;
                }
            };
        }
    })
}
#[allow(
    unused_mut,
    unused_variables,
    unused_assignments,
    unused_braces,
    unreachable_code,
    non_snake_case,
    non_upper_case_globals,
    break_with_label_and_loop,
    unused_parens,
    clippy::all
)]
fn __n_fn1(
    vm: &mut ::slight::__rt::Vm,
    env: &[::slight::__rt::Value],
    args: &[::slight::__rt::Value],
) -> ::slight::__rt::Res {
    __n_d1(vm, args[0].clone())
}
#[allow(non_upper_case_globals, clippy::all)]
static __n_INFO1: ::slight::__rt::FnInfo = ::slight::__rt::FnInfo::new(
    Some("sum-to"),
    1,
    false,
    __n_fn1,
);
#[allow(
    unused_mut,
    unused_variables,
    unused_assignments,
    unused_braces,
    unreachable_code,
    non_snake_case,
    non_upper_case_globals,
    break_with_label_and_loop,
    unused_parens,
    clippy::all
)]
fn __n_form2(vm: &mut ::slight::__rt::Vm) -> ::slight::__rt::Res {
    let env = &[] as &[::slight::__rt::Value];
    let args = &[] as &[::slight::__rt::Value];
    Ok({
        let __nt1 = ::slight::__rt::closure(&__n_INFO1, Vec::new());
        ::slight::__rt::def_global(vm, &__n_MODULE, 0, __nt1)?
    })
}
#[allow(non_upper_case_globals, clippy::all)]
static __n_FORMS: [::slight::__rt::Form; 1] = [__n_form2];
#[allow(non_snake_case, dead_code, clippy::all)]
pub fn run(
    vm: &mut ::slight::__rt::Vm,
) -> Result<::slight::__rt::Value, ::slight::__rt::Error> {
    ::slight::__rt::run_program(vm, &__n_MODULE, &__n_FORMS)
}
#[allow(non_snake_case, dead_code, clippy::all)]
pub fn register(vm: &mut ::slight::__rt::Vm) -> Result<(), ::slight::__rt::Error> {
    ::slight::__rt::run_program(vm, &__n_MODULE, &__n_FORMS).map(|_| ())
}
#[allow(non_snake_case, dead_code, clippy::all)]
pub fn run_each(vm: &mut ::slight::__rt::Vm, each: &mut ::slight::__rt::EachForm) -> () {
    ::slight::__rt::run_forms(vm, &__n_MODULE, &__n_FORMS, each)
}
#[allow(non_snake_case, dead_code, clippy::all)]
pub fn sum_to(
    vm: &mut ::slight::__rt::Vm,
    args: &[::slight::__rt::Value],
) -> Result<::slight::__rt::Value, ::slight::__rt::Error> {
    ::slight::__rt::call_static(vm, &__n_MODULE, &__n_FORMS, &__n_INFO1, args)
}
fn main() {}
