; integer literals: decimal, negative, underscores, hex
42
-17
0
1_000
1_000_000
0xff
0x10
(+ 0xff 1)
9223372036854775807
(type/of 1_000)
