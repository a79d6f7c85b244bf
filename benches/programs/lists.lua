-- lists: build a 1,000,000-element sequence, reverse it, then sum it twice:
-- once with a plain index walk and once with a reduce(f, init, t) helper.
-- 3 rounds. Idiomatic Lua uses tables, so "cons onto the front" becomes
-- "push onto the end" (same number of pushes, same order of i), the reverse
-- builds a new table, and the head/tail walk becomes an index walk.
-- Same algorithm as lists.sl / lists.py.
-- Each round sums 0..999999 twice: 2 * 499999500000 = 999999000000.
-- Expected output: 2999997000000

local function build(n)
  local t = {}
  for i = 0, n - 1 do
    t[#t + 1] = i
  end
  return t
end

local function reverse(t)
  local r = {}
  local n = #t
  for i = n, 1, -1 do
    r[n - i + 1] = t[i]
  end
  return r
end

local function sum_walk(t)
  local acc = 0
  for i = 1, #t do
    acc = acc + t[i]
  end
  return acc
end

local function reduce(f, init, t)
  local acc = init
  for i = 1, #t do
    acc = f(acc, t[i])
  end
  return acc
end

local function one_round(n)
  local lst = reverse(build(n))
  return sum_walk(lst) + reduce(function(acc, x) return acc + x end, 0, lst)
end

local total = 0
for _ = 1, 3 do
  total = total + one_round(1000000)
end

print(total)
