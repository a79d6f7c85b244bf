; float literals print shortest round-trip, with .0 when integral
3.14
-2.5
0.5
2.0
1e3
1e9
1.5e-3
(type/of 3.14)
(+ 1e3 1)
