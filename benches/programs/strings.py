# strings: string building by repeated concatenation. 2000 outer rounds; each
# round starts from "" and appends "x" followed by a number 500 times
# (1,000,000 appends in total), then adds the final string's length to a total.
# Same algorithm as strings.sl / strings.lua (Lua's `..`, Python's `+=`).
# In round j the appended numbers are j+1 .. j+500.
# Expected output: 4620863


def build_string(j):
    acc = ""
    for i in range(1, 501):
        acc += "x" + str(i + j)
    return acc


def main():
    total = 0
    for j in range(1, 2001):
        total += len(build_string(j))
    print(total)


main()
