# closures: closure-heavy loop. Each of 1,000,000 iterations builds two adder
# closures, composes them into a third closure, and calls the composition twice
# (6 closure calls per iteration). Same algorithm as closures.sl / closures.lua;
# the driver is a plain loop counting down (Slight uses a tail-recursive function
# for the same iteration; CPython has no proper tail calls).
# Expected output: 1500003500000


def make_adder(n):
    return lambda x: x + n


def compose(f, g):
    return lambda x: f(g(x))


def closure_loop(n):
    acc = 0
    for i in range(n, 0, -1):
        h = compose(make_adder(i), make_adder(1))
        acc += h(h(i))
    return acc


print(closure_loop(1000000))
