-- loop: a tail-recursive counting loop of 10,000,000 iterations summing the counter.
-- Lua has proper tail calls, so `return count_down(...)` runs in constant stack,
-- exactly like the Slight version. Expected output: 50000005000000

local function count_down(i, acc)
  if i == 0 then
    return acc
  end
  return count_down(i - 1, acc + i)
end

print(count_down(10000000, 0))
