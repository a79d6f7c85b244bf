-- strings: string building by repeated concatenation. 2000 outer rounds; each
-- round starts from "" and appends "x" followed by a number 500 times
-- (1,000,000 appends in total), then adds the final string's length to a total.
-- Same algorithm as strings.sl / strings.py (Lua's `..`, Python's `+=`).
-- In round j the appended numbers are j+1 .. j+500.
-- Expected output: 4620863

local function build_string(j)
  local acc = ""
  for i = 1, 500 do
    acc = acc .. "x" .. (i + j)
  end
  return acc
end

local total = 0
for j = 1, 2000 do
  total = total + #build_string(j)
end

print(total)
