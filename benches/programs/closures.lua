-- closures: closure-heavy loop. Each of 1,000,000 iterations builds two adder
-- closures, composes them into a third closure, and calls the composition twice
-- (6 closure calls per iteration). Same algorithm as closures.sl / closures.py;
-- the driver is an idiomatic numeric for loop counting down (Slight uses a
-- tail-recursive function for the same iteration).
-- Expected output: 1500003500000

local function make_adder(n)
  return function(x) return x + n end
end

local function compose(f, g)
  return function(x) return f(g(x)) end
end

local acc = 0
for i = 1000000, 1, -1 do
  local h = compose(make_adder(i), make_adder(1))
  acc = acc + h(h(i))
end

print(acc)
