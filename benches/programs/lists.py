# lists: build a 1,000,000-element list, reverse it, then sum it twice:
# once with a plain element walk and once with functools.reduce. 3 rounds.
# Idiomatic Python uses lists, so "cons onto the front" becomes "append"
# (same number of pushes, same order of i), the reverse builds a new list
# (like Slight's immutable list/reverse), and the head/tail walk becomes a for loop.
# Same algorithm as lists.sl / lists.lua.
# Each round sums 0..999999 twice: 2 * 499999500000 = 999999000000.
# Expected output: 2999997000000

from functools import reduce


def build(n):
    lst = []
    for i in range(n):
        lst.append(i)
    return lst


def sum_walk(lst):
    acc = 0
    for x in lst:
        acc += x
    return acc


def one_round(n):
    lst = build(n)[::-1]
    return sum_walk(lst) + reduce(lambda acc, x: acc + x, lst, 0)


def main():
    total = 0
    for _ in range(3):
        total += one_round(1000000)
    print(total)


main()
