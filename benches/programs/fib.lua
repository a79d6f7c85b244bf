-- fib: naive doubly-recursive Fibonacci (non-tail recursion, ~7M calls).
-- Same algorithm as fib.sl / fib.py. Expected output: 2178309

local function fib(n)
  if n < 2 then
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

print(fib(32))
