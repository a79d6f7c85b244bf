# loop: a counting loop of 10,000,000 iterations summing the counter.
# CPython has no proper tail calls (a tail-recursive version would hit the
# recursion limit), so the honest equivalent of the Slight/Lua tail-recursive
# loop is a while loop with the same two state variables and the same test.
# Expected output: 50000005000000


def count_down(i, acc):
    while i != 0:
        i, acc = i - 1, acc + i
    return acc


print(count_down(10000000, 0))
