# fib: naive doubly-recursive Fibonacci (non-tail recursion, ~7M calls).
# Same algorithm as fib.sl / fib.lua. Expected output: 2178309


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


print(fib(32))
